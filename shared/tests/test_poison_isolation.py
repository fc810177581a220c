"""No message can stall a consumer, against the real broker and database: in both of the
ConsumerRunner's modes a message its handler fails on (with anything but a known transient
failure) is isolated and sent to the DLQ while every other message is applied once and in its
partition's order; transient failures are retried, bounded by max_attempts where set; and when
every message fails alike the runner takes it for an outage and dead-letters nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

import backbone_fixtures as ledger
from claims_shared.database import create_pool
from claims_shared.events import Envelope, EventData, encode, new_envelope
from claims_shared.kafka import (
    HANDLER_RETRIES,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_ISOLATED,
    SYSTEMIC_FAILURES,
    ConsumerRunner,
    Dispatch,
    EventBatches,
    EventRoutes,
    Received,
    Refusals,
)
from devinfra import kafka_clients
from devinfra.testing import eventually, read_records

PARTITIONS = 3
HANDLED_DDL = """
CREATE TABLE handled (
    id        bigserial PRIMARY KEY,
    partition int       NOT NULL,
    sequence  int       NOT NULL
)
"""

Message = tuple[int, int]
"""(partition, sequence within the partition)"""


class Numbered(EventData):
    """A message's place, as the event every test message carries."""

    event_type: ClassVar[str] = "Numbered"
    topic: ClassVar[str] = "unset"

    partition: int
    sequence: int

    @property
    def message(self) -> Message:
        return self.partition, self.sequence


async def create_topic(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> None:
    admin = AIOKafkaAdminClient(**kafka_clients.client(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


async def produce(
    bootstrap: str, topic: str, per_partition: int, first: int = 1, partitions: int = PARTITIONS
) -> list[Message]:
    """`per_partition` messages on each partition, sequences from `first`; returns them."""
    producer = AIOKafkaProducer(
        **kafka_clients.client(bootstrap), enable_idempotence=True, acks="all"
    )
    await producer.start()
    sent = []
    try:
        for sequence in range(first, first + per_partition):
            for partition in range(partitions):
                value = encode(
                    new_envelope(Numbered(partition=partition, sequence=sequence), producer="test")
                )
                await producer.send_and_wait(
                    topic, value, key=f"claim-{partition}".encode(), partition=partition
                )
                sent.append((partition, sequence))
    finally:
        await producer.stop()
    return sent


def message_of(record: ConsumerRecord) -> Message:
    data = json.loads(record.value)["data"]
    return data["partition"], data["sequence"]


async def record_handled(pool: asyncpg.Pool, messages: list[Message]) -> None:
    """The effect: one row per message, in the order handled, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO handled (partition, sequence) VALUES ($1, $2)", messages
        )


async def handled(pool: asyncpg.Pool) -> list[Message]:
    rows = await pool.fetch("SELECT partition, sequence FROM handled ORDER BY id")
    return [(row["partition"], row["sequence"]) for row in rows]


def in_partition_order(messages: list[Message]) -> dict[int, list[int]]:
    by_partition: dict[int, list[int]] = {}
    for partition, sequence in messages:
        by_partition.setdefault(partition, []).append(sequence)
    return by_partition


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, 4)
    await pool.execute(HANDLED_DDL)
    yield pool
    await pool.close()


def batch_handler(
    pool: asyncpg.Pool, fails: Callable[[Message], BaseException | None]
) -> Callable[[list[Received[Numbered]]], Awaitable[Refusals[Numbered]]]:
    """A batch handler that, like claim-status's intake, applies the whole batch in one
    transaction or nothing: it raises what `fails` says for the first message that fails."""

    async def handle_batch(received: list[Received[Numbered]]) -> Refusals[Numbered]:
        for item in received:
            error = fails(item.event.message)
            if error is not None:
                raise error
        await record_handled(pool, [item.event.message for item in received])
        return []

    return handle_batch


def record_handler(
    pool: asyncpg.Pool, fails: Callable[[Message], BaseException | None]
) -> Callable[[Numbered, Envelope[Numbered]], Awaitable[None]]:
    async def handle(numbered: Numbered, envelope: Envelope[Numbered]) -> None:
        error = fails(numbered.message)
        if error is not None:
            raise error
        await record_handled(pool, [numbered.message])

    return handle


def handlers(
    mode: str, pool: asyncpg.Pool, fails: Callable[[Message], BaseException | None]
) -> dict[str, Dispatch]:
    """The `consuming` arguments for one mode of the runner."""
    if mode == "batch":
        return {"routes": EventBatches(Numbered, batch_handler(pool, fails))}
    return {"routes": EventRoutes().on(Numbered, record_handler(pool, fails))}


async def wait_for(pool: asyncpg.Pool, count: int, timeout: float = 30.0) -> list[Message]:
    async def enough() -> list[Message] | None:
        done = await handled(pool)
        return done if len(done) >= count else None

    return await eventually(enough, timeout=timeout)


def dead_lettered(group: str, topic: str) -> float:
    return MESSAGES_DEAD_LETTERED.labels(group, topic)._value.get()


def isolated(group: str, topic: str) -> float:
    return MESSAGES_ISOLATED.labels(group, topic)._value.get()


@dataclass(frozen=True)
class Stream:
    """A fresh topic with messages already on it, and the consumer group to read it."""

    bootstrap: str
    topic: str
    group: str
    sent: list[Message]

    def consuming(
        self,
        mode: str,
        pool: asyncpg.Pool,
        fails: Callable[[Message], BaseException | None],
        **options: Any,
    ) -> AbstractAsyncContextManager[ConsumerRunner]:
        """The runner in `mode` over this topic, with a short retry back-off."""
        return ledger.consuming(
            self.bootstrap,
            self.topic,
            self.group,
            **handlers(mode, pool, fails),
            retry_backoff=0.05,
            **options,
        )


async def stream(
    infrastructure: Any, topic: str, per_partition: int, partitions: int = PARTITIONS
) -> Stream:
    bootstrap = infrastructure.kafka_bootstrap_servers
    await create_topic(bootstrap, topic, partitions=partitions)
    sent = await produce(bootstrap, topic, per_partition=per_partition, partitions=partitions)
    return Stream(bootstrap, topic, f"g-{uuid.uuid4().hex[:6]}", sent)


async def test_batch_mode_isolates_the_one_message_its_handler_fails_on(
    infrastructure: Any, pool: asyncpg.Pool, unique_topic: Callable[[str], str]
) -> None:
    """Before: any exception from a batch handler rewound the whole fetch and was retried
    forever, so one adjuster update that raised TypeError stopped every customer's updates."""
    on = await stream(infrastructure, unique_topic("isolation.batch"), per_partition=10)
    topic, group, sent = on.topic, on.group, on.sent
    poison = (1, 6)

    def fails(message: Message) -> BaseException | None:
        return TypeError("'NoneType' object is not subscriptable") if message == poison else None

    async with on.consuming("batch", pool, fails):
        first = await wait_for(pool, len(sent) - 1)
        later = await produce(on.bootstrap, topic, per_partition=2, first=11)
        everything = await wait_for(pool, len(sent) - 1 + len(later))

    assert first == everything[: len(first)]
    assert sorted(everything) == sorted(m for m in sent + later if m != poison), "exactly once"
    assert in_partition_order(everything) == {
        0: list(range(1, 13)),
        1: [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12],
        2: list(range(1, 13)),
    }
    dead = await read_records(on.bootstrap, f"{topic}.dlq", 1)
    assert [message_of(r) for r in dead] == [poison]
    assert dead[0].key == b"claim-1"
    headers = dict(dead[0].headers)
    assert headers["dlq.error_type"] == b"TypeError"
    assert headers["dlq.reason"] == b"TypeError: 'NoneType' object is not subscriptable"
    assert headers["dlq.source_topic"] == topic.encode()
    assert headers["dlq.source_partition"] == b"1"
    assert headers["dlq.source_offset"] == b"5"
    assert headers["dlq.consumer_group"] == group.encode()
    assert isolated(group, topic) == 1


async def test_record_mode_sends_a_message_its_handler_fails_on_to_the_dlq_at_once(
    infrastructure: Any, pool: asyncpg.Pool, unique_topic: Callable[[str], str]
) -> None:
    """Before: a KeyError or ValueError was taken for a transient failure, retried forever."""
    on = await stream(infrastructure, unique_topic("isolation.record"), per_partition=10)
    poison: dict[Message, BaseException] = {
        (0, 4): KeyError("coverage"),
        (2, 9): ValueError("a payment of -1 yen"),
    }

    async with on.consuming("record", pool, poison.get):
        await wait_for(pool, len(on.sent) - 2)
        later = await produce(on.bootstrap, on.topic, per_partition=1, first=11)
        everything = await wait_for(pool, len(on.sent) - 2 + len(later))

    assert sorted(everything) == sorted(m for m in on.sent + later if m not in poison)
    assert in_partition_order(everything) == {
        0: [1, 2, 3, 5, 6, 7, 8, 9, 10, 11],
        1: list(range(1, 12)),
        2: [1, 2, 3, 4, 5, 6, 7, 8, 10, 11],
    }
    dead = await read_records(on.bootstrap, f"{on.topic}.dlq", 2)
    by_message = {message_of(r): dict(r.headers) for r in dead}
    assert set(by_message) == set(poison)
    assert by_message[(0, 4)]["dlq.error_type"] == b"KeyError"
    assert by_message[(0, 4)]["dlq.source_offset"] == b"3"
    assert by_message[(2, 9)]["dlq.reason"] == b"ValueError: a payment of -1 yen"
    assert by_message[(2, 9)]["dlq.source_partition"] == b"2"
    assert isolated(on.group, on.topic) == 2


@pytest.mark.parametrize("mode", ["batch", "record"])
async def test_a_transient_failure_is_retried_from_the_same_message_in_both_modes(
    mode: str, infrastructure: Any, pool: asyncpg.Pool, unique_topic: Callable[[str], str]
) -> None:
    on = await stream(infrastructure, unique_topic(f"isolation.transient-{mode}"), per_partition=5)
    refusals = 2

    def fails(message: Message) -> BaseException | None:
        nonlocal refusals
        if message == (2, 3) and refusals:
            refusals -= 1
            return ConnectionRefusedError(111, "Connection refused")
        return None

    async with on.consuming(mode, pool, fails):
        everything = await wait_for(pool, len(on.sent))
        await asyncio.sleep(0.5)  # room for a wrongful second application to show

    assert refusals == 0
    assert sorted(await handled(pool)) == sorted(on.sent), "each once, none dead-lettered"
    assert in_partition_order(everything) == {p: [1, 2, 3, 4, 5] for p in range(PARTITIONS)}
    assert HANDLER_RETRIES.labels(on.group, on.topic)._value.get() >= 2
    assert (dead_lettered(on.group, on.topic), isolated(on.group, on.topic)) == (0, 0)


@pytest.mark.parametrize("mode", ["batch", "record"])
async def test_every_message_failing_alike_is_an_outage_not_a_topic_of_poison(
    mode: str, infrastructure: Any, pool: asyncpg.Pool, unique_topic: Callable[[str], str]
) -> None:
    """A store's own 'unavailable' error nobody classified as transient: the runner backs off
    and retries instead of emptying the topic into the DLQ, and goes on once it is back."""
    topic = unique_topic(f"isolation.systemic-{mode}")
    on = await stream(infrastructure, topic, per_partition=6, partitions=1)
    outage = True

    def fails(message: Message) -> BaseException | None:
        return RuntimeError("the claims store is unavailable") if outage else None

    async with on.consuming(mode, pool, fails, max_backoff=0.2):

        async def judged_systemic_twice() -> bool:
            return SYSTEMIC_FAILURES.labels(on.group)._value.get() >= 2

        await eventually(judged_systemic_twice)
        assert await handled(pool) == []
        outage = False
        everything = await wait_for(pool, len(on.sent))

    assert everything == on.sent
    assert (dead_lettered(on.group, on.topic), isolated(on.group, on.topic)) == (0, 0)


async def test_max_attempts_bounds_transient_failures_in_batch_mode(
    infrastructure: Any, pool: asyncpg.Pool, unique_topic: Callable[[str], str]
) -> None:
    """Before: the batch mode ignored max_attempts and retried the fetch forever."""
    on = await stream(infrastructure, unique_topic("isolation.attempts"), per_partition=6)
    refused = (0, 2)

    def fails(message: Message) -> BaseException | None:
        return ConnectionResetError(104, "reset by the mail server") if message == refused else None

    async with on.consuming("batch", pool, fails, max_attempts=3):
        everything = await wait_for(pool, len(on.sent) - 1)

    assert sorted(everything) == sorted(m for m in on.sent if m != refused)
    assert in_partition_order(everything)[0] == [1, 3, 4, 5, 6]
    dead = await read_records(on.bootstrap, f"{on.topic}.dlq", 1)
    assert [message_of(r) for r in dead] == [refused]
    headers = dict(dead[0].headers)
    assert headers["dlq.error_type"] == b"ConnectionResetError"
    attempts = int(headers["dlq.reason"].split()[3])
    assert headers["dlq.reason"].startswith(b"gave up after ") and attempts >= 3
    assert HANDLER_RETRIES.labels(on.group, on.topic)._value.get() >= 3


def test_every_dead_letter_carries_one_header_set() -> None:
    """The runner's and claim-status's held updates go through EventPublisher.dead_letter: the
    same `dlq.*` names, the source position only where there was one."""
    from claims_shared.kafka import DeadLetter

    read = DeadLetter(
        topic="t.claims.adjuster-updates",
        value=b"{}",
        key=b"CL-1",
        reason="x" * 3000,
        error_type="ValidationError",
        consumer_group="claim-status",
        partition=2,
        offset=41,
        headers=(("traceparent", b"00-ab"),),
    )
    held = DeadLetter(
        topic="t.claims.adjuster-updates",
        value=b"{}",
        key=b"CL-1",
        reason="an earlier update never arrived",
        error_type="InvalidUpdate",
        consumer_group="claim-status",
    )
    names = [name for name, _ in read.all_headers()]
    assert names == [
        "traceparent",
        "dlq.reason",
        "dlq.error_type",
        "dlq.source_topic",
        "dlq.source_partition",
        "dlq.source_offset",
        "dlq.consumer_group",
    ]
    assert dict(read.all_headers())["dlq.source_offset"] == b"41"
    assert len(dict(read.all_headers())["dlq.reason"]) == 2000
    assert [name for name, _ in held.all_headers()] == [
        "dlq.reason",
        "dlq.error_type",
        "dlq.source_topic",
        "dlq.consumer_group",
    ]
