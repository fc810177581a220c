"""The backbone against the real broker and database: the outbox relay survives SIGKILL at any
point without losing or reordering events, consumers apply each effect exactly once even when
killed between effect and commit, and poison messages go to the DLQ while the rest flow on."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

import backbone_fixtures as ledger
from backbone_fixtures import LedgerEntryRecorded
from claims_shared.database import create_pool
from claims_shared.events import Envelope, encode, new_envelope
from claims_shared.kafka import MESSAGES_DEAD_LETTERED
from devinfra import kafka_clients
from devinfra.testing import eventually, read_records

SCRIPT = str(Path(ledger.__file__))


def spawn(command: str, database_url: str, bootstrap: str, *args: str) -> subprocess.Popen[bytes]:
    """The relay or consumer as a process of its own, signed in to the broker as the operator
    (a new process knows no broker the test's process started: it is told in its environment)."""
    return subprocess.Popen(
        [sys.executable, SCRIPT, command, database_url, bootstrap, *args],
        env={**os.environ, **kafka_clients.process_env(bootstrap, "operator")},
    )


@pytest.mark.slow
async def test_relay_killed_at_any_point_publishes_every_event_in_order(
    infrastructure, database_url, unique_topic
) -> None:
    topic = unique_topic("backbone.ledger")
    bootstrap = infrastructure.kafka_bootstrap_servers
    app = ledger.ledgers(database_url)
    ledger_ids = [app.open(f"ledger-{n}") for n in range(5)]
    written = 300

    def write() -> None:
        rng = random.Random(7)
        for n in range(written // 3):
            app.record(ledger_ids[n % len(ledger_ids)], times=3)
            time.sleep(rng.uniform(0, 0.04))

    writer = threading.Thread(target=write)
    writer.start()
    relay = spawn("relay", database_url, bootstrap, topic)
    kills = 0
    rng = random.Random(11)
    while writer.is_alive() or kills < 4:
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        kills += 1
        relay = spawn("relay", database_url, bootstrap, topic)
    writer.join()

    pool = await create_pool(database_url, 2)
    head = await pool.fetchval("SELECT max(notification_id) FROM ledgers_events")

    async def caught_up() -> bool:
        try:
            position = await pool.fetchval("SELECT notification_id FROM relay_positions")
        except asyncpg.UndefinedTableError:
            return False  # every relay so far was killed before it set up its table
        return position == head

    await eventually(caught_up)
    relay.terminate()
    relay.wait(timeout=30)

    records = await read_records(bootstrap, topic, written)
    first_seen: dict[str, list[int]] = defaultdict(list)
    event_ids: set[str] = set()
    for record in records:
        envelope = json.loads(record.value)
        if envelope["event_id"] not in event_ids:
            event_ids.add(envelope["event_id"])
            first_seen[envelope["data"]["ledger_id"]].append(envelope["data"]["sequence"])
    assert len(event_ids) == written
    for key, sequences in first_seen.items():
        assert sequences == list(range(1, len(sequences) + 1)), key
    print(
        f"relay killed {kills} times; {len(records)} messages for {written} events "
        f"({len(records) - written} republished)"
    )

    # Consumers see each effect exactly once, whatever the relay republished.
    await ledger.prepare_consumer_tables(pool)

    async def handle(entry, envelope) -> None:  # type: ignore[no-untyped-def]
        await ledger.record_effect(pool, "ledger-consumer", envelope)

    async def all_delivered() -> bool:
        return await pool.fetchval("SELECT count(*) FROM ledger_deliveries") >= len(records)

    group = f"g-{uuid.uuid4().hex[:6]}"
    async with ledger.consuming(bootstrap, topic, group, ledger.entries(handle)):
        await eventually(all_delivered)
    effects = await pool.fetchval("SELECT count(*) FROM ledger_effects")
    distinct = await pool.fetchval("SELECT count(DISTINCT event_id) FROM ledger_effects")
    await pool.close()
    assert (effects, distinct) == (written, written)


def _fresh_topic(
    infrastructure: Any, unique_topic: Callable[[str], str], name: str
) -> tuple[str, str, str]:
    """A new topic, a new consumer group for it and the broker's address."""
    return unique_topic(name), f"g-{uuid.uuid4().hex[:6]}", infrastructure.kafka_bootstrap_servers


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(
        **kafka_clients.client(bootstrap), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"L1")
    finally:
        await producer.stop()


def _entries(topic: str, sequences: list[int]) -> list[Envelope[LedgerEntryRecorded]]:
    data_type = ledger.entry_type(topic)
    return [new_envelope(data_type(ledger_id="L1", sequence=n), producer="test") for n in sequences]


async def _produce_entries(bootstrap: str, topic: str, count: int) -> None:
    await _produce(bootstrap, topic, [encode(e) for e in _entries(topic, [*range(1, count + 1)])])


async def _consumer_pool(database_url: str) -> asyncpg.Pool:
    pool = await create_pool(database_url, 2)
    await ledger.prepare_consumer_tables(pool)
    return pool


@pytest.mark.slow
async def test_consumer_killed_between_effect_and_commit_applies_nothing_twice(
    infrastructure, database_url, unique_topic
) -> None:
    topic, group, bootstrap = _fresh_topic(infrastructure, unique_topic, "backbone.entries")
    await _produce_entries(bootstrap, topic, 20)

    crashed = spawn("consume", database_url, bootstrap, topic, group, "5")
    assert await asyncio.to_thread(crashed.wait, 60) == 137

    conn = await asyncpg.connect(database_url)
    assert await conn.fetchval("SELECT count(*) FROM ledger_effects") == 5
    consumer = spawn("consume", database_url, bootstrap, topic, group)

    async def all_applied() -> bool:
        return await conn.fetchval("SELECT count(*) FROM ledger_effects") >= 20

    await eventually(all_applied)
    await asyncio.sleep(1.0)  # room for any wrongful second application to show
    consumer.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(consumer.wait, 30) == 0
    effects = await conn.fetch("SELECT sequence FROM ledger_effects ORDER BY sequence")
    deliveries = await conn.fetchval("SELECT count(*) FROM ledger_deliveries")
    await conn.close()
    assert [row["sequence"] for row in effects] == list(range(1, 21))
    assert deliveries > 20  # the crash really caused redelivery, which changed nothing


async def test_poison_messages_go_to_the_dlq_with_their_reason_and_the_next_is_processed(
    infrastructure, database_url, unique_topic
) -> None:
    topic, group, bootstrap = _fresh_topic(infrastructure, unique_topic, "backbone.poison")
    good = [encode(envelope) for envelope in _entries(topic, [1, 2])]
    await _produce(bootstrap, topic, [good[0], b"\xff not json", b'{"event_id": "x"}', good[1]])
    pool = await _consumer_pool(database_url)

    async def handle(entry, envelope) -> None:  # type: ignore[no-untyped-def]
        await ledger.record_effect(pool, group, envelope)

    async def second_applied() -> bool:
        return await pool.fetchval("SELECT count(*) FROM ledger_effects WHERE sequence = 2") == 1

    async with ledger.consuming(bootstrap, topic, group, ledger.entries(handle)):
        await eventually(second_applied)
    assert await pool.fetchval("SELECT count(*) FROM ledger_effects") == 2
    await pool.close()

    dead = await read_records(bootstrap, f"{topic}.dlq", 2)
    assert [r.value for r in dead] == [b"\xff not json", b'{"event_id": "x"}']
    headers = [dict(r.headers) for r in dead]
    assert [h["dlq.error_type"] for h in headers] == [b"ValidationError", b"ValidationError"]
    assert [h["dlq.source_offset"] for h in headers] == [b"1", b"2"]
    assert all(h["dlq.consumer_group"] == group.encode() for h in headers)
    assert b"Invalid JSON" in headers[0]["dlq.reason"]


async def test_a_transient_failure_is_retried_not_dead_lettered(
    infrastructure, database_url, unique_topic
) -> None:
    topic, group, bootstrap = _fresh_topic(infrastructure, unique_topic, "backbone.transient")
    await _produce_entries(bootstrap, topic, 3)
    pool = await _consumer_pool(database_url)
    failures = 2

    async def flaky(entry, envelope) -> None:  # type: ignore[no-untyped-def]
        nonlocal failures
        if failures:
            failures -= 1
            raise ConnectionResetError("database went away")
        await ledger.record_effect(pool, group, envelope)

    async def all_applied() -> bool:
        return await pool.fetchval("SELECT count(*) FROM ledger_effects") == 3

    async with ledger.consuming(bootstrap, topic, group, ledger.entries(flaky), retry_backoff=0.05):
        await eventually(all_applied)
    sequences = [r["sequence"] for r in await pool.fetch("SELECT sequence FROM ledger_effects")]
    await pool.close()
    assert sorted(sequences) == [1, 2, 3]
    assert MESSAGES_DEAD_LETTERED.labels(group, topic)._value.get() == 0
