"""A tiny event-sourced 'ledger' service used to prove the backbone against real servers, and the
entry points the tests run as separate processes so they can kill them with SIGKILL.

    python backbone_fixtures.py relay DATABASE_URL BOOTSTRAP TOPIC
    python backbone_fixtures.py consume DATABASE_URL BOOTSTRAP TOPIC GROUP [CRASH_AFTER]
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar
from uuid import UUID

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from claims_shared.database import create_pool, create_schema
from claims_shared.events import Envelope, EventData
from claims_shared.idempotency import apply_once
from claims_shared.kafka import ConsumerRunner, Dispatch, EventHandler, EventPublisher, EventRoutes
from claims_shared.outbox import OutboxRelay
from claims_shared.schema import processed_events_ddl, relay_positions_ddl
from claims_shared.settings import eventsourcing_env
from devinfra import kafka_clients


class Ledger(Aggregate):
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.entries = 0

    @event("EntryRecorded")
    def record(self, sequence: int) -> None:
        self.entries = sequence


class Ledgers(Application):
    name = "Ledgers"

    def open(self, name: str) -> UUID:
        ledger = Ledger(name)
        self.save(ledger)
        return ledger.id

    def record(self, ledger_id: UUID, times: int = 1) -> None:
        ledger: Ledger = self.repository.get(ledger_id)
        for _ in range(times):
            ledger.record(ledger.entries + 1)
        self.save(ledger)


class LedgerEntryRecorded(EventData):
    event_type: ClassVar[str] = "LedgerEntryRecorded"
    topic: ClassVar[str] = "unset"

    ledger_id: str
    sequence: int


def entry_type(topic: str) -> type[LedgerEntryRecorded]:
    return type("LedgerEntryRecorded", (LedgerEntryRecorded,), {"topic": topic})


def ledgers(database_url: str) -> Ledgers:
    return Ledgers(env=eventsourcing_env(database_url))


def translator(topic: str) -> Any:
    data_type = entry_type(topic)

    def translate(domain_event: Any) -> list[tuple[str, EventData]]:
        if isinstance(domain_event, Ledger.EntryRecorded):
            key = str(domain_event.originator_id)
            return [(key, data_type(ledger_id=key, sequence=domain_event.sequence))]
        return []

    return translate


EFFECTS_DDL = """
CREATE TABLE IF NOT EXISTS ledger_effects (ledger_id text, sequence int, event_id text);
CREATE TABLE IF NOT EXISTS ledger_deliveries (event_id text);
"""


async def record_effect(
    pool: asyncpg.Pool, consumer: str, envelope: Envelope[LedgerEntryRecorded]
) -> bool:
    """The consumer's effect, once per event id; every delivery is counted separately."""
    event_id = str(envelope.event_id)
    await pool.execute("INSERT INTO ledger_deliveries VALUES ($1)", event_id)

    async def effect(conn: asyncpg.Connection) -> None:
        await conn.execute(
            "INSERT INTO ledger_effects VALUES ($1, $2, $3)",
            envelope.data.ledger_id,
            envelope.data.sequence,
            event_id,
        )

    return await apply_once(pool, consumer, event_id, effect)


def entries(handle: EventHandler[LedgerEntryRecorded]) -> EventRoutes:
    """The ledger consumer's dispatch table: every entry to `handle`."""
    return EventRoutes().on(LedgerEntryRecorded, handle)


async def prepare_consumer_tables(pool: asyncpg.Pool) -> None:
    await create_schema(pool, processed_events_ddl())  # a service's migrations would
    await pool.execute(EFFECTS_DDL)


async def run_relay(database_url: str, bootstrap: str, topic: str) -> None:
    pool = await create_pool(database_url, 2)
    await create_schema(pool, relay_positions_ddl())  # a service's migrations would
    publisher = EventPublisher(bootstrap, "ledger-relay", access=kafka_clients.options(bootstrap))
    await publisher.start()
    relay = OutboxRelay(
        application=ledgers(database_url),
        translate=translator(topic),
        publisher=publisher,
        pool=pool,
        producer="ledger",
        batch_size=20,
        idle_wait=0.1,
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, relay.stop)
    try:
        await relay.run()
    finally:
        await publisher.stop()
        await pool.close()


@asynccontextmanager
async def consuming(
    bootstrap: str, topic: str, group: str, routes: Dispatch, **options: Any
) -> AsyncIterator[ConsumerRunner]:
    """A ConsumerRunner (with its DLQ publisher) running until the block ends. The backbone's
    tests use topics of their own (`unique_topic`), as the operator."""
    publisher = EventPublisher(bootstrap, group, access=kafka_clients.options(bootstrap))
    await publisher.start()
    runner = ConsumerRunner(
        bootstrap_servers=bootstrap,
        group_id=group,
        topics=[topic],
        routes=routes,
        publisher=publisher,
        **options,
    )
    task = asyncio.create_task(runner.run())
    try:
        yield runner
    finally:
        runner.stop()
        await task
        await publisher.stop()


async def run_consumer(
    database_url: str, bootstrap: str, topic: str, group: str, crash_after: int | None
) -> None:
    pool = await create_pool(database_url, 2)
    await prepare_consumer_tables(pool)
    effects = 0

    async def handle(entry: LedgerEntryRecorded, envelope: Envelope[LedgerEntryRecorded]) -> None:
        nonlocal effects
        if await record_effect(pool, group, envelope):
            effects += 1
            if crash_after is not None and effects >= crash_after:
                os._exit(137)  # killed after the effect committed, before the offset commit

    stopped = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopped.set)
    try:
        async with consuming(bootstrap, topic, group, entries(handle), session_timeout_ms=6000):
            await stopped.wait()
    finally:
        await pool.close()


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "relay":
        asyncio.run(run_relay(*args))
    else:
        crash = int(args[4]) if len(args) > 4 else None
        asyncio.run(run_consumer(*args[:4], crash_after=crash))


if __name__ == "__main__":
    # Run as the importable module, so event classes resolve to the same objects as the
    # topics stored by the test process ("backbone_fixtures:Ledger.EntryRecorded").
    import backbone_fixtures

    backbone_fixtures.main()
