"""Adjuster updates from Kafka to visible in the customers' read model, and the accident list's
request rate, each next to a baseline measured in the same run (the machine is shared and noisy:
read the ratios).

    python bench/claims_ingest.py [--claims 10000] [--updates-per-claim 10] [--requests 2000]
                                  [--steady-rate 1000] [--steady-seconds 10]
                                  [--steady-claims N] [--split]

Baselines: the raw aiokafka consume rate of the same messages; raw asyncpg batched inserts of the
same number of rows; a bare FastAPI endpoint served by uvicorn in the same way, verifying the same
token (what the issue names: before issue 19's fourth step it verified none).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import jwt
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from claims_shared.events import AdjusterUpdate, encode, new_envelope
from devinfra import kafka_clients
from devinfra.kafka import LocalKafka
from devinfra.paths import free_port, local_dir, port_answers
from devinfra.postgres import LocalPostgres
from devinfra.processes import LocalProcess
from devinfra.testing import eventually, reader_from_start

BARE_VERIFYING_APP = """
import json, jwt
from fastapi import FastAPI, Header, HTTPException
KEY = jwt.PyJWK(json.loads({jwk!r}), algorithm="EdDSA")
app = FastAPI()
@app.get("/api/v1/me/accidents")
async def bare(authorization: str = Header()) -> dict:
    try:
        jwt.decode(authorization.partition(" ")[2], KEY, algorithms=["EdDSA"],
                   issuer="claims-status-identity", audience="claims-status")
    except jwt.PyJWTError:
        raise HTTPException(401)
    return {{"items": [], "next_cursor": None}}
import uvicorn
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


def updates(claims: int, per_claim: int) -> list[AdjusterUpdate]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    result = []
    for n in range(claims):
        claim_id = f"CL-{n:06d}"
        kinds = [
            (
                "claim_opened",
                {
                    "customer_id": f"C{n % 1000:04d}",
                    "policy_number": "A1",
                    "accident_date": "2026-10-01",
                    "summary": "追突事故",
                },
            ),
            ("stage_changed", {"stage": "investigating"}),
        ]
        kinds += [("note_added", {"text": f"メモ {i}"}) for i in range(per_claim - 2)]
        result += in_sequence(claim_id, kinds, start)
    return result


def in_sequence(
    claim_id: str, kinds: list[tuple[str, dict[str, str]]], start: datetime
) -> list[AdjusterUpdate]:
    """One claim's updates, numbered from 1, a second apart from `start`."""
    return [
        AdjusterUpdate.of(
            update_id=uuid.uuid4(),
            claim_id=claim_id,
            sequence=sequence,
            adjuster_id="ADJ",
            occurred_at=start + timedelta(seconds=sequence),
            type=kind,
            data=data,
        )
        for sequence, (kind, data) in enumerate(kinds, start=1)
    ]


async def produce(
    bootstrap: str, topic: str, items: list[AdjusterUpdate], principal: str = "adjusters"
) -> None:
    """`items` on `topic` as `principal` would send them (the adjusters' systems may write only
    claims.adjuster-updates: the warm-up topic is the operator's)."""
    producer = AIOKafkaProducer(
        **kafka_clients.client(bootstrap, principal),
        enable_idempotence=True,
        acks="all",
        linger_ms=10,
    )
    await producer.start()
    try:
        pending = [
            await producer.send(
                topic, encode(new_envelope(u, producer="bench")), key=u.claim_id.encode()
            )
            for u in items
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def raw_consume_rate(bootstrap: str, topic: str, expected: int) -> float:
    consumer = reader_from_start(bootstrap, topic)
    await consumer.start()
    seen, started = 0, time.perf_counter()
    try:
        while seen < expected:
            for records in (await consumer.getmany(timeout_ms=500, max_records=1000)).values():
                for record in records:
                    json.loads(record.value)
                    seen += 1
    finally:
        await consumer.stop()
    return expected / (time.perf_counter() - started)


async def raw_insert_rate(url: str, rows: int) -> float:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE TABLE bench_rows (claim_id text, sequence int, detail jsonb)")
        data = [(f"CL-{i}", i, json.dumps({"n": i, "text": "メモ"})) for i in range(rows)]
        started = time.perf_counter()
        for chunk in range(0, rows, 200):
            async with conn.transaction():
                await conn.executemany(
                    "INSERT INTO bench_rows VALUES ($1, $2, $3)", data[chunk : chunk + 200]
                )
        return rows / (time.perf_counter() - started)
    finally:
        await conn.close()


async def closed_loop(
    total: int, concurrency: int, one: Callable[[httpx.AsyncClient, int], Awaitable[None]]
) -> tuple[float, float, float]:
    """`total` rounds of `one(client, n)` (n counts down), `concurrency` at a time, each round
    timed as one: rounds/s, p50 and p99 seconds."""
    latencies: list[float] = []
    remaining = [total]

    async def worker(client: httpx.AsyncClient) -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            started = time.perf_counter()
            await one(client, remaining[0])
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return total / elapsed, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]


async def request_rate(
    url: str, headers: dict[str, str], total: int, concurrency: int = 16
) -> tuple[float, float, float]:
    async def get(client: httpx.AsyncClient, n: int) -> None:
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text

    return await closed_loop(total, concurrency, get)


async def freshness(
    bootstrap: str, pool: asyncpg.Pool, claims: int, per_claim: int, rate: int, seconds: int
) -> tuple[float, float, int]:
    """Publish notes at a steady `rate`, round-robin over `claims` claims; time each from
    publish to visible (polling only the claims with an update not yet seen). The publisher
    lingers 5 ms, as the services' own producers do: a request per message cost the broker
    most of a core at 1,000/s on this machine, and the linger is inside the figure."""
    producer = AIOKafkaProducer(
        **kafka_clients.client(bootstrap, "adjusters"),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
    )
    await producer.start()
    outstanding: dict[tuple[str, int], float] = {}
    delays: list[float] = []
    next_sequence = {f"CL-{n:06d}": per_claim + 1 for n in range(claims)}
    claim_ids = list(next_sequence)
    done = asyncio.Event()

    async def poll() -> None:
        while not (done.is_set() and not outstanding):
            waiting = list({claim_id for claim_id, _ in outstanding})
            rows = await pool.fetch(
                "SELECT claim_id, sequence FROM accidents_v1 WHERE claim_id = ANY($1)", waiting
            )
            now = time.perf_counter()
            visible = {row["claim_id"]: row["sequence"] for row in rows}
            for key in [k for k in outstanding if visible.get(k[0], 0) >= k[1]]:
                delays.append(now - outstanding.pop(key))
            await asyncio.sleep(0.02)

    messages = []  # encoded beforehand: the load client takes less of the machine it measures
    for n in range(rate * seconds):
        claim_id = claim_ids[n % claims]
        sequence = next_sequence[claim_id]
        next_sequence[claim_id] += 1
        update = AdjusterUpdate.of(
            update_id=uuid.uuid4(),
            claim_id=claim_id,
            sequence=sequence,
            adjuster_id="ADJ",
            occurred_at=datetime.now(UTC),
            type="note_added",
            data={"text": "steady"},
        )
        messages.append((claim_id, sequence, encode(new_envelope(update, producer="bench"))))
    poller = asyncio.create_task(poll())
    started = time.perf_counter()
    try:
        for n, (claim_id, sequence, value) in enumerate(messages):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            await producer.send(topic="claims.adjuster-updates", key=claim_id.encode(), value=value)
            outstanding[(claim_id, sequence)] = time.perf_counter()
        done.set()
        await asyncio.wait_for(poller, timeout=120)
    finally:
        await producer.stop()
    delays.sort()
    return delays[len(delays) // 2], delays[int(len(delays) * 0.99)], len(delays)


async def histogram(url: str, name: str) -> dict[float, float]:
    """Cumulative bucket counts of one histogram (summed over its label sets) from /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(url)).text
    buckets: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            bound = line.split('le="')[1].split('"')[0]
            upper = float("inf") if bound == "+Inf" else float(bound)
            buckets[upper] = buckets.get(upper, 0.0) + float(line.rsplit(" ", 1)[1])
    return buckets


def quantile(before: dict[float, float], after: dict[float, float], q: float) -> str:
    """The bucket bound the q-quantile of what was observed between two scrapes falls under."""
    counts = {upper: after[upper] - before.get(upper, 0.0) for upper in sorted(after)}
    total = counts.get(float("inf"), 0.0)
    if not total:
        return "n/a"
    for upper, count in counts.items():
        if count >= q * total:
            return f"≤{upper * 1000:.0f} ms" if upper != float("inf") else "> last bucket"
    return "n/a"


def longer_than(before: dict[float, float], after: dict[float, float], bound: float) -> float:
    """How many observations between two scrapes were above `bound` (a bucket bound)."""
    total = after.get(float("inf"), 0.0) - before.get(float("inf"), 0.0)
    return total - (after.get(bound, 0.0) - before.get(bound, 0.0))


def busy_cpu_seconds() -> float:
    """CPU time the whole machine spent not idle (every process: broker, database, service,
    this client), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_by_role(service_pids: set[int]) -> dict[str, float]:
    """CPU seconds spent so far by the broker (java), the database (postgres processes), the
    service's processes and this client, from /proc/<pid>/stat: where an update's cost goes."""
    roles = {"broker": 0.0, "database": 0.0, "service": 0.0, "client": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited meanwhile
        pid, name = int(text.split(" ", 1)[0]), text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if pid == os.getpid():
            roles["client"] += seconds
        elif pid in service_pids:
            roles["service"] += seconds
        elif name == "java":
            roles["broker"] += seconds
        elif name == "postgres":
            roles["database"] += seconds
    return roles


def stop_all(
    children: list[subprocess.Popen[bytes]],
    servers: Sequence[LocalProcess | LocalPostgres],
    state: Path,
) -> None:
    """A bench's end: its processes, then its servers in the order given, then its state."""
    for child in children:
        child.terminate()
        child.wait(timeout=20)
    for server in servers:
        server.stop()
    shutil.rmtree(state, ignore_errors=True)


async def service_ready(base: str) -> bool:
    """The service at `base` answers /readyz with 200."""
    async with httpx.AsyncClient() as client:
        try:
            return (await client.get(f"{base}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False


def claim_status_env(
    database_url: str, bootstrap: str, port: int, jwks_port: int, **more: str
) -> dict[str, str]:
    """claim-status's environment in a bench: its database, the broker as its own principal, its
    port, the bench's key set for tokens, no maintenance window, quiet logs; `more` on top."""
    return {
        **os.environ,
        "CLAIM_STATUS_DATABASE_URL": database_url,
        **kafka_clients.process_env(bootstrap, "claim-status"),
        "CLAIM_STATUS_HTTP_PORT": str(port),
        "MAINTENANCE_WINDOWS": "",
        "LOG_LEVEL": "WARNING",
        "IDENTITY_JWKS_URL": f"http://127.0.0.1:{jwks_port}/.well-known/jwks.json",
        **more,
    }


def distinct_ports(count: int) -> list[int]:
    """Free ports, all different: a port picked but not yet bound can come back."""
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return sorted(ports)


def customer_token(key: Ed25519PrivateKey, customer_id: str) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "iss": "claims-status-identity",
            "aud": "claims-status",
            "sub": "bench",
            "scope": "customer",
            "customer_id": customer_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        },
        key,
        algorithm="EdDSA",
        headers={"kid": "bench"},
    )


def serve_bare(key: Ed25519PrivateKey, port: int) -> subprocess.Popen[bytes]:
    """The baseline the issue names: a bare FastAPI endpoint verifying the same token (the same
    key, algorithm, issuer and audience) and answering an empty list, as a process of its own.
    Its path is the list's, so a request differs from the list's only by the service's work."""
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    app = BARE_VERIFYING_APP.format(jwk=json.dumps({**public, "kid": "bench"}), port=port)
    return subprocess.Popen([sys.executable, "-c", app])


def serve_jwks(key: Ed25519PrivateKey, port: int) -> subprocess.Popen[bytes]:
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**public, "kid": "bench", "alg": "EdDSA", "use": "sig"}]})
    code = (
        f"from fastapi import FastAPI\nimport json\napp = FastAPI()\n"
        f"@app.get('/.well-known/jwks.json')\nasync def k(): return json.loads({jwks!r})\n"
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            code + "import uvicorn\n"
            f"uvicorn.run(app, host='127.0.0.1', port={port}, "
            "log_level='warning')",
        ]
    )


async def main(
    claims: int,
    per_claim: int,
    requests: int,
    steady_rate: int,
    steady_seconds: int,
    steady_claims: int,
    split: bool,
) -> None:
    state = local_dir() / f"bench-{os.getpid()}"
    postgres = LocalPostgres(state / "postgres").start()
    kafka = LocalKafka(state / "kafka", secured=kafka_clients.auth_on()).start()
    children: list[subprocess.Popen[bytes]] = []
    total = claims * per_claim
    try:
        items = updates(claims, per_claim)
        await produce(kafka.bootstrap_servers, "warm-up", items[:10], "operator")
        insert = await raw_insert_rate(postgres.url(), total)

        key = Ed25519PrivateKey.generate()
        jwks_port, port, bare_port, second_port = distinct_ports(4)
        children.append(serve_jwks(key, jwks_port))
        env = claim_status_env(postgres.url(), kafka.bootstrap_servers, port, jwks_port)
        if split:  # the projection and the relay in a second process: a core of their own
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "claim_status"],
                    env={**env, "CLAIM_STATUS_WORKERS": "consumer,sweeper"},
                )
            )
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "claim_status"],
                    env={
                        **env,
                        "CLAIM_STATUS_WORKERS": "projection,relay",
                        "CLAIM_STATUS_HTTP_PORT": str(second_port),
                    },
                )
            )
        else:
            children.append(subprocess.Popen([sys.executable, "-m", "claim_status"], env=env))
        pool = await asyncpg.create_pool(postgres.url(), min_size=1, max_size=2)

        def all_running() -> None:
            for child in children:
                if child.poll() is not None:
                    raise RuntimeError(f"{child.args!r} exited with {child.returncode}")

        await eventually(lambda: service_ready(f"http://127.0.0.1:{port}"), timeout=60)
        await asyncio.sleep(3)  # the consumer has joined its group

        async def all_visible() -> bool:
            all_running()
            try:
                done = await pool.fetchval("SELECT coalesce(sum(sequence), 0) FROM accidents_v1")
            except asyncpg.UndefinedTableError:
                return False
            return bool(done == total)

        service_pids = {child.pid for child in children[1:]}
        started, cpu_before = time.perf_counter(), busy_cpu_seconds()
        roles_before = cpu_by_role(service_pids)
        await produce(kafka.bootstrap_servers, "claims.adjuster-updates", items)
        await eventually(all_visible, timeout=3600, interval=0.5)
        ingest = total / (time.perf_counter() - started)
        cpu_per_update = (busy_cpu_seconds() - cpu_before) / total
        roles_after = cpu_by_role(service_pids)
        role_cost = {
            role: (roles_after[role] - roles_before[role]) / total * 1e6 for role in roles_after
        }

        async def relay_caught_up() -> bool:
            return bool(
                await pool.fetchval(
                    "SELECT (SELECT notification_id FROM relay_positions) >= "
                    "(SELECT max(notification_id) FROM claims_events)"
                )
            )

        await eventually(relay_caught_up, timeout=600, interval=0.5)
        intake_url = f"http://127.0.0.1:{port}/metrics"
        projection_url = f"http://127.0.0.1:{second_port if split else port}/metrics"
        stages_before = (
            await histogram(intake_url, "claim_update_intake_seconds"),
            await histogram(projection_url, "projection_delay_seconds"),
        )
        pauses_before = await histogram(intake_url, "python_gc_pause_seconds")
        steady_started, steady_cpu = time.perf_counter(), busy_cpu_seconds()
        steady_roles = cpu_by_role(service_pids)
        fresh = await freshness(
            kafka.bootstrap_servers, pool, steady_claims, per_claim, steady_rate, steady_seconds
        )
        steady_elapsed = time.perf_counter() - steady_started
        steady_busy = (busy_cpu_seconds() - steady_cpu) / steady_elapsed
        steady_roles_after = cpu_by_role(service_pids)
        steady_share = {
            role: (steady_roles_after[role] - steady_roles[role]) / steady_elapsed
            for role in steady_roles
        }
        pauses_after = await histogram(intake_url, "python_gc_pause_seconds")
        stages_after = (
            await histogram(intake_url, "claim_update_intake_seconds"),
            await histogram(projection_url, "projection_delay_seconds"),
        )
        stages = [
            (quantile(b, a, 0.5), quantile(b, a, 0.99))
            for b, a in zip(stages_before, stages_after, strict=True)
        ]
        consume = await raw_consume_rate(kafka.bootstrap_servers, "claims.adjuster-updates", total)

        children.append(serve_bare(key, bare_port))
        await eventually(lambda: asyncio.to_thread(port_answers, bare_port))
        headers = {"Authorization": f"Bearer {customer_token(key, 'C0001')}"}
        bare = await request_rate(
            f"http://127.0.0.1:{bare_port}/api/v1/me/accidents", headers, requests
        )
        listing = await request_rate(
            f"http://127.0.0.1:{port}/api/v1/me/accidents", headers, requests
        )
        await pool.close()
    finally:
        stop_all(children, [kafka, postgres], state)
    print(
        f"updates: {total} over {claims} claims"
        f"{' (projection and relay in a second process)' if split else ''}"
    )
    print(f"  baseline raw aiokafka consume:   {consume:9.0f} messages/s")
    print(f"  baseline raw asyncpg inserts:    {insert:9.0f} rows/s (batches of 200)")
    print(
        f"  claim-status Kafka → read model: {ingest:9.0f} updates/s "
        f"({ingest / consume:.3f} of consume, {ingest / insert:.3f} of inserts)"
    )
    cores = os.cpu_count() or 1
    print(
        f"  machine CPU per update (broker, database, service, client): "
        f"{cpu_per_update * 1e6:.0f} µs → ceiling on {cores} cores at 100 % busy: "
        f"{cores / cpu_per_update:.0f} updates/s"
    )
    print("    of which " + ", ".join(f"{role} {cost:.0f} µs" for role, cost in role_cost.items()))
    print(
        f"freshness, publish -> visible, steady {steady_rate} updates/s for {steady_seconds} s "
        f"over {steady_claims} claims: "
        f"p50 {fresh[0] * 1000:.0f} ms, p99 {fresh[1] * 1000:.0f} ms ({fresh[2]} updates, "
        "polled every 20 ms)"
    )
    print(
        f"  of which Kafka publish → claim saved: p50 {stages[0][0]}, p99 {stages[0][1]}; "
        f"saved → visible: p50 {stages[1][0]}, p99 {stages[1][1]} (service histograms)"
    )
    long_pauses = longer_than(pauses_before, pauses_after, 0.05)
    print(
        f"  garbage collector pauses meanwhile: {long_pauses:.0f} longer than 50 ms, "
        f"the longest {quantile(pauses_before, pauses_after, 1.0)} (service histogram)"
    )
    print(
        f"  machine busy meanwhile: {steady_busy:.2f} of {cores} cores ("
        + ", ".join(f"{role} {share:.2f}" for role, share in steady_share.items())
        + ")"
    )
    print(
        f"GET /api/v1/me/accidents: {listing[0]:.0f} req/s, p50 {listing[1] * 1000:.1f} ms, "
        f"p99 {listing[2] * 1000:.1f} ms"
    )
    print(
        f"  baseline bare FastAPI endpoint: {bare[0]:.0f} req/s, p50 {bare[1] * 1000:.1f} ms, "
        f"p99 {bare[2] * 1000:.1f} ms  (ratio {listing[0] / bare[0]:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10000)
    parser.add_argument("--updates-per-claim", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--steady-rate", type=int, default=1000)
    parser.add_argument("--steady-seconds", type=int, default=10)
    parser.add_argument(
        "--steady-claims",
        type=int,
        help="claims the steady updates go to, round-robin (default: all of them; fewer makes "
        "each claim's timeline grow faster than any real claim's)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="run the projection and relay in a second claim-status process",
    )
    args = parser.parse_args()
    asyncio.run(
        main(
            args.claims,
            args.updates_per_claim,
            args.requests,
            args.steady_rate,
            args.steady_seconds,
            min(args.steady_claims or args.claims, args.claims),
            args.split,
        )
    )
