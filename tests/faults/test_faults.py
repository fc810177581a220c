"""What DESIGN.md promises, while things break: under steady mixed load, kill -9 a service and
restart it, restart the broker, restart the database. Afterwards every acknowledged adjuster
update is visible exactly once and in order, every accepted registration made exactly one account
(and, by mail, exactly one mail), the read model equals a rebuild from the event store, nothing
answered 5xx outside the outage, and /readyz said so while a dependency was down.

`make test` runs the first case; `make faults` runs them all (tests marked `faults`)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from fault_harness import (
    PASSWORD,
    SERVICES,
    Load,
    Product,
    log_lines,
    mails_to,
    outage,
    running_product,
    server_errors_outside,
)

from claims_shared.dlq import DeadLetterQueue
from claims_shared.events import encode, new_envelope, topics
from claims_shared.kafka_tools import KafkaSettings
from devinfra import kafka_clients
from devinfra.paths import local_dir

LOAD_SECONDS = 24


@pytest.fixture(scope="module")
def product() -> Iterator[Product]:
    with running_product() as running:
        asyncio.run(asyncio.wait_for(_all_ready(running), 120))
        yield running


async def _all_ready(product: Product) -> None:
    for module in SERVICES:
        await product.ready(module)


Fault = Callable[[Product, list[int]], Awaitable[None]]


def kill_and_restart(module: str) -> Fault:
    async def fault(product: Product, readiness: list[int]) -> None:
        product.kill(module)
        readiness.append(await product.readiness(module))
        await asyncio.sleep(3)
        product.start(module)
        await product.ready(module)

    return fault


async def restart_kafka(product: Product, readiness: list[int]) -> None:
    await asyncio.to_thread(product.stack.kafka.stop)
    await asyncio.sleep(2)
    readiness.append(await product.readiness("claim_status"))
    await asyncio.to_thread(product.stack.kafka.start)
    await _all_ready(product)


async def restart_postgres(product: Product, readiness: list[int]) -> None:
    await asyncio.to_thread(product.stack.postgres.stop, "immediate")
    await asyncio.sleep(2)
    readiness.append(await product.readiness("identity"))
    await asyncio.to_thread(product.stack.postgres.start)
    await _all_ready(product)


async def pause_claim_status(product: Product, readiness: list[int]) -> None:
    """SIGSTOP past the consumer's session time-out (10 s): the group rebalances without it."""
    process = product.processes["claim_status"]
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        readiness.append(await product.readiness("claim_status"))
        await asyncio.sleep(15)
    finally:
        os.killpg(process.pid, signal.SIGCONT)
    await product.ready("claim_status")


POISON = 60


async def poison_the_adjuster_updates(product: Product, readiness: list[int]) -> None:
    """Not JSON, an event nobody knows, and updates that break the rules: all to the DLQ,
    while the good updates around them carry on (no outage: readiness stays as it is)."""
    bootstrap = product.stack.kafka.bootstrap_servers
    producer = AIOKafkaProducer(**kafka_clients.client(bootstrap, "adjusters"))
    await producer.start()
    try:
        for n in range(POISON):
            if n % 3 == 2:  # an update before its claim was opened breaks a rule
                update = Load._update(f"CL-POISON-{n}", 1, "note_added", "C0")
                value = encode(new_envelope(update, producer="claims-core"))
            else:
                value = (b"not json at all", b'{"event_type": "Unheard", "schema_version": 9}')[
                    n % 3
                ]
            await producer.send_and_wait(topics.ADJUSTER_UPDATES, value, key=f"POISON-{n}".encode())
    finally:
        await producer.stop()

    async def dead_lettered() -> int:
        queue = DeadLetterQueue(
            KafkaSettings(
                bootstrap_servers=bootstrap,
                **kafka_clients.access(bootstrap, "operator").model_dump(),
            ),
            topics.ADJUSTER_UPDATES,
        )
        return sum(1 for letter in await queue.read() if letter.key.startswith("POISON-"))

    deadline = time.monotonic() + 60
    while await dead_lettered() < POISON and time.monotonic() < deadline:
        await asyncio.sleep(1)
    assert await dead_lettered() == POISON


CASES: list[Any] = [
    pytest.param(kill_and_restart("claim_status"), id="kill -9 claim-status"),
    pytest.param(kill_and_restart("identity"), id="kill -9 identity", marks=pytest.mark.faults),
    pytest.param(
        kill_and_restart("registration"), id="kill -9 registration", marks=pytest.mark.faults
    ),
    pytest.param(kill_and_restart("notifier"), id="kill -9 notifier", marks=pytest.mark.faults),
    pytest.param(restart_kafka, id="restart the broker", marks=pytest.mark.faults),
    pytest.param(restart_postgres, id="restart the database", marks=pytest.mark.faults),
    pytest.param(
        pause_claim_status, id="pause claim-status past its session", marks=pytest.mark.faults
    ),
    pytest.param(
        poison_the_adjuster_updates, id="poison the adjuster updates", marks=pytest.mark.faults
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("fault", CASES)
def test_nothing_is_lost_or_doubled_and_errors_stay_inside_the_outage(
    product: Product, fault: Fault, request: pytest.FixtureRequest
) -> None:
    load = Load(product)
    windows: list[tuple[float, float]] = []
    readiness: list[int] = []

    async def scenario() -> None:
        await load.prepare()

        async def break_it() -> None:
            await asyncio.sleep(LOAD_SECONDS / 3)
            async with outage(windows):
                await fault(product, readiness)

        await asyncio.gather(load.run(LOAD_SECONDS), break_it())

    started = time.monotonic()
    asyncio.run(scenario())
    report = {
        "fault": request.node.callspec.id,
        "outage_seconds": round(sum(end - start for start, end in windows), 1),
        "readyz_during": readiness,
        "updates_acknowledged": sum(len(s) for s in load.sent.values()),
        "claims": len(load.sent),
        "registrations_simple": len(load.registered),
        "registrations_by_mail": len(load.requested),
        "http_answers": len(load.answers),
        "http_5xx_or_unanswered_in_outage": sum(1 for a in load.answers if a.status >= 500),
    }
    assert all(status != 200 for status in readiness), "/readyz said ready while broken"
    asyncio.run(_every_update_once_in_order(product, load))
    asyncio.run(_every_registration_once(product, load))
    _read_model_equals_a_rebuild(product)
    assert not server_errors_outside(load.answers, windows), "5xx outside the outage"
    assert sum(1 for a in load.answers if a.status < 500) > 50, "the load ran"
    assert time.monotonic() - started < 600
    report["verified_seconds_after_start"] = round(time.monotonic() - started, 1)
    _keep(report)


def _keep(report: dict[str, Any]) -> None:
    """One line per case in .local/test-artifacts/faults.jsonl: docs/reliability.md's figures."""
    path = local_dir() / "test-artifacts" / "faults.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps(report, ensure_ascii=False) + "\n")
    print(report)


async def _every_update_once_in_order(product: Product, load: Load) -> None:
    expected = {claim: [u.sequence for u in sent] for claim, sent in load.sent.items() if sent}
    assert sum(len(s) for s in expected.values()) > 50
    conn = await asyncpg.connect(product.stack.postgres.url("claim_status"))
    try:
        deadline = time.monotonic() + 120
        while True:
            rows = await conn.fetch(
                "SELECT claim_id, detail FROM accidents_v1 WHERE claim_id = ANY($1)",
                list(expected),
            )
            seen = {r["claim_id"]: json.loads(r["detail"])["timeline"] for r in rows}
            complete = all(len(seen.get(c, [])) >= len(s) for c, s in expected.items())
            if complete or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    for claim, sequences in expected.items():
        texts = [entry["data"].get("text") for entry in seen.get(claim, [])]
        wanted = [None] + [f"経過 {n}" for n in sequences[1:]]
        assert texts == wanted, (claim, texts)


async def _every_registration_once(product: Product, load: Load) -> None:
    emails = load.registered + load.requested
    assert load.registered and load.requested
    conn = await asyncpg.connect(product.stack.postgres.url("identity"))
    try:
        deadline = time.monotonic() + 120
        while True:
            counts = dict(
                await conn.fetch(
                    "SELECT email, count(*) FROM account_emails WHERE email = ANY($1) "
                    "GROUP BY email",
                    emails,
                )
            )
            if len(counts) == len(emails) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await conn.close()
    assert counts == {email: 1 for email in emails}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        mails = await asyncio.to_thread(mails_to, product)
        if all(mails.get(email) for email in emails):
            break
        await asyncio.sleep(1)
    # The temporary password (new registration) or 登録完了 (simple registration), once.
    assert {e: mails.get(e, 0) for e in emails} == {e: 1 for e in emails}
    logs = log_lines(product)
    for secret in ("仮パスワード", PASSWORD, "$argon2"):
        assert secret not in logs, f"{secret!r} in a service's log"


_rebuilds = iter(range(100, 200))


def _read_model_equals_a_rebuild(product: Product) -> None:
    version = next(_rebuilds)
    rebuilt = subprocess.run(
        [sys.executable, "-m", "claim_status.rebuild", "--version", str(version)],
        env=product.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr

    async def compare() -> tuple[set[Any], set[Any]]:
        conn = await asyncpg.connect(product.stack.postgres.url("claim_status"))
        try:
            live = await conn.fetch("SELECT claim_id, sequence, detail FROM accidents_v1")
            again = await conn.fetch(f"SELECT claim_id, sequence, detail FROM accidents_v{version}")
        finally:
            await conn.close()
        return {tuple(r) for r in live}, {tuple(r) for r in again}

    live, again = asyncio.run(compare())
    assert live == again
