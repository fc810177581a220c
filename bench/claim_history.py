"""The claim as it was on a day (`GET /api/v1/me/accidents/{id}?as_of=`) next to the live detail
of the same claim, in the same run: a claim of 1,000 updates, so the as_of view folds 1,000
stored events on every request while the live one reads one row of the read model.

    python bench/claim_history.py [--updates 1000] [--requests 200]

Starts its own Kafka and PostgreSQL on free ports and claim-status as a process (uvicorn, every
worker), sends the claim's updates through claims.adjuster-updates, waits until the live detail
shows them all, then asks one request at a time (a customer's browser): the live detail, as_of
half-way through the claim, and as_of its last update (every event folded).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
from claims_ingest import (
    claim_status_env,
    customer_token,
    distinct_ports,
    in_sequence,
    produce,
    serve_jwks,
    service_ready,
    stop_all,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from claims_shared.events import AdjusterUpdate
from devinfra import kafka_clients
from devinfra.kafka import LocalKafka
from devinfra.paths import local_dir
from devinfra.postgres import LocalPostgres
from devinfra.testing import eventually

CUSTOMER = "C-BENCH-HISTORY"
CLAIM = "CL-BENCH-HISTORY"


def long_claim(count: int, start: datetime) -> list[AdjusterUpdate]:
    """A claim of `count` updates a second apart: opened, a handler, investigated with the
    customer asked for documents and coverages moving, then negotiated."""
    kinds: list[tuple[str, dict[str, str]]] = [
        (
            "claim_opened",
            {
                "customer_id": CUSTOMER,
                "policy_number": "A2026000001",
                "accident_date": "2026-11-19",
                "summary": "交差点での追突事故",
            },
        ),
        ("handler_assigned", {"name": "佐藤 健", "office": "東京第一課", "phone": "03-1234-5678"}),
        ("stage_changed", {"stage": "investigating"}),
    ]
    statuses = ("reviewing", "investigating", "agreed")
    n = 0
    while len(kinds) < count - 1:
        n += 1
        action = f"A{n}"
        kinds += [
            ("customer_action_requested", {"action_id": action, "description": f"書類 {n}"}),
            ("note_added", {"text": f"経過メモ {n}"}),
            ("coverage_updated", {"coverage": "own_vehicle", "status": statuses[n % 3]}),
            ("customer_action_completed", {"action_id": action}),
        ]
    kinds = [*kinds[: count - 1], ("stage_changed", {"stage": "negotiating"})]
    return in_sequence(CLAIM, kinds, start)


async def timed_requests(
    client: httpx.AsyncClient, path: str, params: dict[str, str], requests: int
) -> list[float]:
    """Each request's seconds, one after another, sorted; every answer must be 200."""
    latencies = []
    for _ in range(requests):
        began = time.perf_counter()
        response = await client.get(path, params=params)
        latencies.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: {response.status_code} {response.text[:200]}")
    return sorted(latencies)


def line(label: str, latencies: list[float], baseline: list[float] | None = None) -> str:
    p50, p99 = latencies[len(latencies) // 2], latencies[-max(1, len(latencies) // 100)]
    ratio = "" if baseline is None else f"  {p50 / baseline[len(baseline) // 2]:5.1f}× the live p50"
    return f"  {label:<42} p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms{ratio}"


Figures = tuple[list[float], list[float], list[float], list[float]]
"""Latencies of the live detail, as_of half-way, as_of the last update, the live detail again."""


async def measure(
    service: subprocess.Popen[bytes],
    base: str,
    token: str,
    bootstrap: str,
    count: int,
    requests: int,
) -> Figures:
    async def ready() -> bool:
        if service.poll() is not None:
            raise RuntimeError(f"claim-status exited with {service.returncode}")
        return await service_ready(base)

    await eventually(ready, timeout=90)
    updates = long_claim(count, datetime.now(UTC) - timedelta(seconds=count + 3600))
    await produce(bootstrap, "claims.adjuster-updates", updates)
    path = f"/api/v1/me/accidents/{CLAIM}"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def all_in() -> bool:
            response = await client.get(path)
            return response.status_code == 200 and len(response.json()["timeline"]) == count

        await eventually(all_in, timeout=120, interval=0.5)
        half = updates[count // 2].occurred_at.isoformat()
        last = updates[-1].occurred_at.isoformat()
        for params in ({}, {"as_of": half}, {"as_of": last}):  # warm up each path
            await timed_requests(client, path, params, 5)
        return (
            await timed_requests(client, path, {}, requests),
            await timed_requests(client, path, {"as_of": half}, requests),
            await timed_requests(client, path, {"as_of": last}, requests),
            await timed_requests(client, path, {}, requests),
        )


def main(count: int, requests: int) -> None:
    """The servers start outside the event loop (a secured broker sets its ACLs with one)."""
    state = local_dir() / f"bench-{os.getpid()}"
    postgres = LocalPostgres(state / "postgres").start()
    kafka = LocalKafka(state / "kafka", secured=kafka_clients.auth_on()).start()
    children: list[subprocess.Popen[bytes]] = []
    try:
        key = Ed25519PrivateKey.generate()
        jwks_port, port = distinct_ports(2)
        children.append(serve_jwks(key, jwks_port))
        env = claim_status_env(postgres.url(), kafka.bootstrap_servers, port, jwks_port)
        service = subprocess.Popen([sys.executable, "-m", "claim_status"], env=env)
        children.append(service)
        token = customer_token(key, CUSTOMER)
        live, at_half, at_last, live_after = asyncio.run(
            measure(
                service, f"http://127.0.0.1:{port}", token, kafka.bootstrap_servers, count, requests
            )
        )
    finally:
        stop_all(children, [kafka, postgres], state)

    print(f"claim history: one claim of {count} updates, {requests} requests each, one at a time")
    print(line("baseline: the live detail (read model)", live))
    print(line("  the same after the as_of runs", live_after))
    print(line(f"as_of half-way ({count // 2 + 1} events folded)", at_half, live))
    print(line(f"as_of the last update ({count} events folded)", at_last, live))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    arguments = parser.parse_args()
    main(arguments.updates, arguments.requests)
