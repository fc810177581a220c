"""The read side on a typhoon day: many customers with a claim each log in and look at their
accident list and detail at once. An open-loop load (bench/open_loop.py: requests on a schedule,
timed from when each was due) rises step by step until the p99 passes 300 ms (or the client falls
behind the rate it offers: then the knee printed is a floor, ≥, the client's); the knee is the
highest rate that kept it, for each route, for the gateway in front, and for a bare FastAPI
endpoint that verifies the same token, all in the same run (the machine is shared: read ratios).

    python bench/typhoon_day.py [--customers 50000] [--accounts 5000] [--seconds 3]
                                [--bound-ms 300]

Starts its own Kafka and PostgreSQL on 127.0.0.1, identity and claim-status as processes, nginx as
the gateway. The customers are seeded through the services' own paths, which are cheap enough:
three adjuster updates per claim on claims.adjuster-updates (the read model as the projection
writes it), and UserRegistered on registration.events for the first `--accounts` customers
(identity creates each account; one password hash made once by the bench). Tokens are signed by the
bench's key, served as the JWKS claim-status trusts, one per customer. The server under test is
pinned to CPU 0 and this client to CPU 1, so a knee is requests/s per core of the service
(PostgreSQL and nginx share CPU 1 with the client: say so next to the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from claims_ingest import (
    customer_token,
    distinct_ports,
    in_sequence,
    produce,
    serve_bare,
    serve_jwks,
    service_ready,
    stop_all,
)
from cores import SERVICE_CORE, idle_cpu_rate, pin, pin_servers_apart, process_cpu_seconds
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from open_loop import Connections, Knee, Request, find_knee, get, hold, post_json, shuffled

from claims_shared.events import UserRegistered, encode, new_envelope
from claims_shared.passwords import hash_password
from devinfra import kafka_clients
from devinfra.gateway import LocalGateway
from devinfra.kafka import LocalKafka
from devinfra.paths import local_dir, port_answers
from devinfra.postgres import LocalPostgres
from devinfra.testing import eventually

PASSWORD = "台風の日の合言葉 2026"


def forget_shared_broker() -> None:
    """The bench runs its own plaintext broker: the shared one's address and credentials from a
    sourced .local/env would make every client here (and the services) speak SASL_SSL to it."""
    for name in [name for name in os.environ if name.startswith("KAFKA_")]:
        del os.environ[name]


def customer_id(n: int) -> str:
    return f"T{n:06d}"


def claim_id(n: int) -> str:
    return f"CL-T{n:06d}"


def email(n: int) -> str:
    return f"typhoon.{n:06d}@example.jp"


async def register_customers(bootstrap: str, customers: int) -> None:
    """UserRegistered for each customer, as registration publishes it (one hash for all)."""
    password_hash = hash_password(PASSWORD)
    producer = AIOKafkaProducer(
        **kafka_clients.client(bootstrap, "registration"), acks="all", linger_ms=10
    )
    await producer.start()
    try:
        pending = []
        for n in range(customers):
            event = UserRegistered(
                user_id=uuid.uuid4(),
                customer_id=customer_id(n),
                email=email(n),
                policy_numbers=[f"A-2026-{n:06d}"],
                password_hash=password_hash,
                must_change_password=False,
                registration_method="procedure_code",
            )
            envelope = encode(new_envelope(event, producer="bench"))
            pending.append(
                await producer.send("registration.events", envelope, key=event.customer_id.encode())
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def open_claims(bootstrap: str, customers: int) -> None:
    """One claim per customer: opened, a handler assigned, under investigation."""
    items = []
    for n in range(customers):
        opened = {
            "customer_id": customer_id(n),
            "policy_number": f"A-2026-{n:06d}",
            "accident_date": "2026-09-02",
            "summary": "台風による飛来物で車両が損傷",
            "location": "沖縄県那覇市",
            "vehicle": "トヨタ プリウス",
        }
        handler = {"name": "山田 太郎", "office": "那覇損害サービス課", "phone": "098-000-0000"}
        kinds = [
            ("claim_opened", opened),
            ("handler_assigned", handler),
            ("stage_changed", {"stage": "investigating"}),
        ]
        items += in_sequence(claim_id(n), kinds, start_of_typhoon())
    await produce(bootstrap, "claims.adjuster-updates", items)


def start_of_typhoon() -> datetime:
    return datetime(2026, 9, 2, 6, tzinfo=UTC)


async def count(url: str, query: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(query) or 0)
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


def python_service(module: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", module], env=env)


async def measured(
    name: str, port: int, requests: list[Request], start: float, pid: int, args: argparse.Namespace
) -> tuple[str, Knee, float]:
    """The knee of one route, and the service's CPU per request over the whole ramp."""
    pin(pid, SERVICE_CORE)
    connections = Connections(port)
    await hold(connections, shuffled(requests, seed=1), start / 2, 2.0)  # warm: connections open
    idle = await idle_cpu_rate(pid)
    before, started = process_cpu_seconds(pid), time.perf_counter()
    knee = await find_knee(
        connections,
        shuffled(requests),
        start=start,
        seconds=args.seconds,
        bound=args.bound_ms / 1000,
    )
    busy = process_cpu_seconds(pid) - before - idle * (time.perf_counter() - started)
    connections.close()
    print(f"  {name}: {knee.verdict()}  [{knee.line()}]", flush=True)
    return name, knee, max(busy, 0.0) / max(knee.answered, 1)


async def main(args: argparse.Namespace) -> None:
    forget_shared_broker()
    state = local_dir() / f"bench-{os.getpid()}"
    postgres = LocalPostgres(state / "postgres").start()
    postgres.create_databases(("identity", "claim_status"))
    kafka = LocalKafka(state / "kafka").start()  # plaintext: the bench's own, on 127.0.0.1
    children: list[subprocess.Popen[bytes]] = []
    gateway: LocalGateway | None = None
    results: list[tuple[str, Knee, float]] = []
    customers, accounts = args.customers, min(args.accounts, args.customers)
    try:
        key = Ed25519PrivateKey.generate()
        jwks_port, claims_port, identity_port, bare_port = distinct_ports(4)
        children.append(serve_jwks(key, jwks_port))
        common = {**os.environ, "MAINTENANCE_WINDOWS": "", "LOG_LEVEL": "WARNING"}
        claim_status = python_service(
            "claim_status",
            {
                **common,
                **kafka_clients.process_env(kafka.bootstrap_servers, "claim-status"),
                "CLAIM_STATUS_DATABASE_URL": postgres.url("claim_status"),
                "CLAIM_STATUS_HTTP_PORT": str(claims_port),
                "IDENTITY_JWKS_URL": f"http://127.0.0.1:{jwks_port}/.well-known/jwks.json",
            },
        )
        identity = python_service(
            "identity",
            {
                **common,
                **kafka_clients.process_env(kafka.bootstrap_servers, "identity"),
                "IDENTITY_DATABASE_URL": postgres.url("identity"),
                "IDENTITY_HTTP_PORT": str(identity_port),
                "IDENTITY_THROTTLE_AFTER_FAILURES": "1000",
                "IDENTITY_LOCK_AFTER_FAILURES": "1000",
            },
        )
        children += [claim_status, identity]
        await eventually(lambda: service_ready(f"http://127.0.0.1:{claims_port}"), timeout=90)
        await eventually(lambda: service_ready(f"http://127.0.0.1:{identity_port}"), timeout=90)
        await asyncio.sleep(3)  # the consumers have joined their groups

        seeding = time.perf_counter()
        await asyncio.gather(
            register_customers(kafka.bootstrap_servers, accounts),
            open_claims(kafka.bootstrap_servers, customers),
        )

        async def seeded() -> bool:
            for child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"{child.args!r} exited with {child.returncode}")
            registered = await count(
                postgres.url("identity"), "SELECT count(*) FROM account_emails"
            )
            folded = await count(
                postgres.url("claim_status"), "SELECT coalesce(sum(sequence), 0) FROM accidents_v1"
            )
            if time.perf_counter() - seeding > progress[0]:
                print(f"  seeding: {registered} accounts, {folded} updates folded", flush=True)
                progress[0] += 30
            return registered == accounts and folded == 3 * customers

        progress = [30.0]

        await eventually(seeded, timeout=1800, interval=1.0)
        print(
            f"typhoon day: {customers} customers with a claim each ({accounts} of them with an "
            "account in identity to log in with), seeded through the services "
            f"in {time.perf_counter() - seeding:.0f} s",
            flush=True,
        )
        tokens = [customer_token(key, customer_id(n)) for n in range(customers)]
        lists = [get("/api/v1/me/accidents", {"Authorization": f"Bearer {t}"}) for t in tokens]
        details = [
            get(f"/api/v1/me/accidents/{claim_id(n)}", {"Authorization": f"Bearer {t}"})
            for n, t in enumerate(tokens)
        ]
        log_ins = [
            post_json(
                "/api/v1/sessions",
                {},
                json.dumps({"email": email(n), "password": PASSWORD}).encode(),
            )
            for n in range(accounts)
        ]
        gateway = LocalGateway(
            state / "gateway",
            upstreams={
                "identity": f"127.0.0.1:{identity_port}",
                "registration": "127.0.0.1:1 down",
                "claim_status": f"127.0.0.1:{claims_port}",
            },
            sensitive_rate="100000r/s",  # the log-in throttle per address: all load is 127.0.0.1
            sensitive_burst=100000,
        ).start()
        children.append(serve_bare(key, bare_port))
        await eventually(lambda: asyncio.to_thread(port_answers, bare_port))
        pin_servers_apart([postgres.data_dir / "postmaster.pid", kafka.pid_file, gateway.pid_file])
        bare_pid = children[-1].pid
        print(f"open-loop knees (p99 ≤ {args.bound_ms:.0f} ms; service on CPU 0, the rest on 1):")
        routes = [
            ("bare FastAPI endpoint verifying the token", bare_port, lists, 20, bare_pid),
            ("GET /api/v1/me/accidents", claims_port, lists, 20, claim_status.pid),
            ("GET /api/v1/me/accidents/{id}", claims_port, details, 20, claim_status.pid),
            ("  the list through the gateway", gateway.port, lists, 20, claim_status.pid),
            ("  the detail through the gateway", gateway.port, details, 20, claim_status.pid),
            ("POST /api/v1/sessions (log-in)", identity_port, log_ins, 2, identity.pid),
            ("  log-in through the gateway", gateway.port, log_ins, 2, identity.pid),
        ]
        for name, port, requests, start, pid in routes:
            results.append(await measured(name, port, requests, start, pid, args))
    finally:
        servers = [s for s in (gateway, kafka, postgres) if s is not None]
        stop_all(children, servers, state)
    report(results)


def report(results: list[tuple[str, Knee, float]]) -> None:
    """A knee the ramp did not reach (the client fell behind first) is printed as a floor, ≥."""
    knees = {name.strip(): (knee, cpu) for name, knee, cpu in results}
    bare_knee = knees.get("bare FastAPI endpoint verifying the token")
    bare = (bare_knee[0].rate if bare_knee else 0.0) or 1.0
    print("typhoon day, knee in requests/s per core (service pinned to one core), and CPU:")
    for name, (knee, cpu) in knees.items():
        floor = "" if knee.found else "≥"
        print(
            f"  {name:45s} {floor:>1s}{knee.rate:6.0f} req/s  ({knee.rate / bare:.2f} of the bare "
            f"endpoint's knee; service CPU {cpu * 1e6:.0f} µs a request over the ramp, idle "
            f"taken off → {1 / cpu if cpu else 0:.0f} req/s per core at 100 %)"
        )
    if any(knee.client_bound for knee, _ in knees.values()):
        print(
            "  ≥: the client's core (this client, PostgreSQL, nginx) could not send the next "
            "rate on time; the server's knee is above it"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument(
        "--accounts",
        type=int,
        default=5_000,
        help="customers registered in identity for the log-ins (identity creates about 100 "
        "accounts a second here; a log-in's cost is its hash, not the table's size)",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="each rate is held this long")
    parser.add_argument("--bound-ms", type=float, default=300.0, help="the p99 the knee keeps")
    asyncio.run(main(parser.parse_args()))
