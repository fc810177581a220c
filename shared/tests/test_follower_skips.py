"""A stored event the outbox relay cannot translate, or a projection cannot render, stops nothing
else: it is skipped, logged and counted, and the position moves past it. When every event of a
batch fails alike (a bad release) nothing is skipped and the follower raises, to be retried."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from eventsourcing.domain import DomainEventProtocol

import backbone_fixtures as ledger
from claims_shared.database import create_pool, create_schema
from claims_shared.events import EventData
from claims_shared.follow import FOLLOWER_SKIPPED, SystemicFailure
from claims_shared.kafka import EventPublisher
from claims_shared.outbox import OutboxRelay
from claims_shared.projection import Projector
from claims_shared.schema import projection_positions_ddl, relay_positions_ddl
from devinfra import kafka_clients
from devinfra.testing import read_records


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, 4)
    # What a service's migrations would create, and the test read model's own table.
    await create_schema(pool, relay_positions_ddl(), projection_positions_ddl(), Entries.ddl)
    yield pool
    await pool.close()


@pytest.fixture
async def publisher(infrastructure: Any) -> AsyncIterator[EventPublisher]:
    publisher = EventPublisher(
        infrastructure.kafka_bootstrap_servers,
        "follower-skips",
        access=kafka_clients.options(infrastructure.kafka_bootstrap_servers),
    )
    await publisher.start()
    yield publisher
    await publisher.stop()


def translate_failing_on(topic: str, failing: Callable[[int], bool]) -> Any:
    """The ledger's translation, raising TypeError (a bug in it) on the entries `failing` names."""
    translate = ledger.translator(topic)

    def translate_or_fail(domain_event: Any) -> list[tuple[str, EventData]]:
        if isinstance(domain_event, ledger.Ledger.EntryRecorded) and failing(domain_event.sequence):
            raise TypeError(f"entry {domain_event.sequence} has no amount")
        return list(translate(domain_event))

    return translate_or_fail


@dataclass(frozen=True)
class LedgerRelays:
    """A fresh ledger application and topic, and outbox relays over them with any translation."""

    app: ledger.Ledgers
    topic: str
    publisher: EventPublisher
    pool: asyncpg.Pool

    def relay(self, translate: Any, translate_blocks: bool = True) -> OutboxRelay:
        return OutboxRelay(
            application=self.app,
            translate=translate,
            publisher=self.publisher,
            pool=self.pool,
            producer="ledger",
            translate_blocks=translate_blocks,
        )


@pytest.fixture
def relays(
    database_url: str,
    pool: asyncpg.Pool,
    publisher: EventPublisher,
    unique_topic: Callable[[str], str],
) -> LedgerRelays:
    return LedgerRelays(
        ledger.ledgers(database_url), unique_topic("follower.relay"), publisher, pool
    )


def skipped(name: str) -> float:
    return FOLLOWER_SKIPPED.labels(name)._value.get()


@pytest.mark.parametrize("translate_blocks", [True, False], ids=["in a thread", "on the loop"])
async def test_the_relay_skips_an_event_it_cannot_translate_and_publishes_the_rest(
    infrastructure: Any, pool: asyncpg.Pool, relays: LedgerRelays, translate_blocks: bool
) -> None:
    """Before: the translation's TypeError stopped the relay on that event, for good. Alike
    whether the translation runs in a worker thread or on the event loop."""
    topic = relays.topic
    ledger_id = relays.app.open("対物")
    relays.app.record(ledger_id, times=6)  # entries 1-6; entry 3 cannot be translated
    relay = relays.relay(
        translate_failing_on(topic, lambda sequence: sequence == 3), translate_blocks
    )
    before = skipped(relay.name)

    position = await relay.catch_up()

    head = await pool.fetchval("SELECT max(notification_id) FROM ledgers_events")
    assert position == head
    assert await pool.fetchval("SELECT notification_id FROM relay_positions") == head
    assert skipped(relay.name) - before == 1
    records = await read_records(infrastructure.kafka_bootstrap_servers, topic, 5)
    assert [json.loads(r.value)["data"]["sequence"] for r in records] == [1, 2, 4, 5, 6]


async def test_the_relay_skips_nothing_when_every_event_fails_alike(
    relays: LedgerRelays,
) -> None:
    """A release whose translation fails on everything must not skip the whole store."""
    ledger_id = relays.app.open("車両")
    working = relays.relay(ledger.translator(relays.topic))
    opened_at = await working.catch_up()
    relays.app.record(ledger_id, times=3)
    broken = relays.relay(translate_failing_on(relays.topic, lambda sequence: True))
    before = skipped(broken.name)

    with pytest.raises(SystemicFailure):
        await broken.catch_up()

    assert await broken.load_position() == opened_at
    assert skipped(broken.name) == before


class Entries:
    """A read model of ledger entries, one row each, that cannot render `unrenderable`."""

    name = "ledger_entries"
    ddl = "CREATE TABLE IF NOT EXISTS ledger_entries (id bigserial, sequence int NOT NULL)"

    def __init__(self, unrenderable: Callable[[int], bool]) -> None:
        self.unrenderable = unrenderable

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        for event in domain_events:
            if isinstance(event, ledger.Ledger.EntryRecorded):
                await conn.execute(
                    "INSERT INTO ledger_entries (sequence) VALUES ($1)", event.sequence
                )
                if self.unrenderable(event.sequence):
                    raise ValueError(f"entry {event.sequence}: no such coverage")


def entries_projector(
    database_url: str, pool: asyncpg.Pool, entries: int, unrenderable: Callable[[int], bool]
) -> Projector:
    """A projector of Entries over a new ledger that already holds `entries` entries."""
    app = ledger.ledgers(database_url)
    app.record(app.open("人身傷害"), times=entries)
    return Projector(application=app, read_model=Entries(unrenderable), pool=pool)


async def test_a_projection_skips_an_event_it_cannot_render_and_applies_the_rest(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """Before: the read model's ValueError rolled back the batch, again on every try."""
    projector = entries_projector(database_url, pool, 8, lambda sequence: sequence == 5)
    before = skipped(projector.name)

    position = await projector.catch_up()

    assert position == await pool.fetchval("SELECT max(notification_id) FROM ledgers_events")
    rows = await pool.fetch("SELECT sequence FROM ledger_entries ORDER BY id")
    assert [row["sequence"] for row in rows] == [1, 2, 3, 4, 6, 7, 8], "entry 5's row undone"
    assert skipped(projector.name) - before == 1


async def test_a_projection_skips_nothing_when_every_event_fails_alike(
    database_url: str, pool: asyncpg.Pool
) -> None:
    projector = entries_projector(database_url, pool, 4, lambda sequence: True)
    await projector.load_position()
    await pool.execute(  # the ledger's opening is already projected
        "INSERT INTO projection_positions (projection, notification_id) VALUES ($1, 1)",
        Entries.name,
    )
    before = skipped(projector.name)

    with pytest.raises(SystemicFailure):
        await projector.catch_up()

    assert await projector.load_position() == 1
    assert await pool.fetchval("SELECT count(*) FROM ledger_entries") == 0
    assert skipped(projector.name) == before


async def test_the_relay_translates_off_the_event_loop(relays: LedgerRelays) -> None:
    """A translation may load an aggregate from the event store (identity reads the account for
    its email): a blocking query, which on the loop would stall every request the API serves."""
    translate = ledger.translator(relays.topic)
    threads: set[int] = set()

    def translate_noting_thread(domain_event: Any) -> list[tuple[str, EventData]]:
        threads.add(threading.get_ident())
        return list(translate(domain_event))

    relays.app.record(relays.app.open("人身"), times=2)
    relay = relays.relay(translate_noting_thread)

    await relay.catch_up()

    assert threads and threading.get_ident() not in threads


@pytest.mark.parametrize("translate_blocks", [True, False])
async def test_a_translation_that_may_block_runs_in_a_thread_and_one_that_only_computes_on_the_loop(
    relays: LedgerRelays, translate_blocks: bool
) -> None:
    """A translation that may block (identity's loads the account) must not stall the loop; one
    that only computes (claim-status's) saves the thread hop of every batch."""
    ledger_id = relays.app.open("車両")
    relays.app.record(ledger_id, times=2)
    translate = ledger.translator(relays.topic)
    threads: set[int] = set()

    def translate_and_note_the_thread(domain_event: Any) -> Sequence[tuple[str, EventData]]:
        threads.add(threading.get_ident())
        return list(translate(domain_event))

    await relays.relay(translate_and_note_the_thread, translate_blocks).catch_up()

    assert threads
    on_the_loop = threads == {threading.get_ident()}
    assert on_the_loop is not translate_blocks
