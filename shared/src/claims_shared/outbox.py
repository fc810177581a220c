"""The outbox relay: the event store of each service doubles as its transactional outbox.

The relay follows an eventsourcing application's notification log (PostgreSQL) in order, turns
each domain event into zero or more integration messages (the service's `translate`), publishes
them with the idempotent producer and records its position only after Kafka acknowledged. A crash
at any point republishes at most the last batch; the envelope's event_id is derived from the
domain event (originator id and version), so consumers recognise a republished message.

The eventsourcing PostgreSQL recorder inserts under an exclusive table lock, so notification ids
become visible in order and reading `> position` never skips an event committed later.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from prometheus_client import Counter, Gauge

from claims_shared.events import EventData, encode, new_envelope
from claims_shared.kafka import EventPublisher, OutgoingMessage
from claims_shared.logging import get_logger

log = get_logger(__name__)

RELAY_POSITIONS_DDL = """
CREATE TABLE IF NOT EXISTS relay_positions (
    relay           text        PRIMARY KEY,
    notification_id bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
)
"""

RELAY_POSITION = Gauge("outbox_relay_position", "Last notification id published", ["relay"])
RELAY_HEAD = Gauge("outbox_relay_head", "Newest notification id in the event store", ["relay"])
RELAY_PUBLISHED = Counter("outbox_relay_published_total", "Messages the relay published", ["relay"])

EVENT_ID_NAMESPACE = uuid.UUID("6f1c1a8e-3b9f-4a53-9d55-0c1f3c1f7a10")

Translate = Callable[[DomainEventProtocol[Any]], Sequence[tuple[str, EventData]]]
"""Maps a domain event to (key, integration event data) pairs; most map to none or one."""


def event_id_for(domain_event: DomainEventProtocol[Any], index: int = 0) -> uuid.UUID:
    """The same domain event always yields the same integration event id."""
    name = f"{domain_event.originator_id}:{domain_event.originator_version}:{index}"
    return uuid.uuid5(EVENT_ID_NAMESPACE, name)


class OutboxRelay:
    def __init__(
        self,
        *,
        application: Application[Any],
        translate: Translate,
        publisher: EventPublisher,
        pool: asyncpg.Pool,
        producer: str,
        batch_size: int = 200,
        idle_wait: float = 0.5,
    ) -> None:
        self.application = application
        self.translate = translate
        self.publisher = publisher
        self.pool = pool
        self.producer = producer
        self.name = f"{producer}:{application.name}"
        self.batch_size = min(batch_size, application.notification_log.section_size)
        self.idle_wait = idle_wait
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._channel: str = getattr(application.recorder, "channel_name", "")

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(RELAY_POSITIONS_DDL)
        position = await self._load_position()
        listener = await self._listen()  # held for the relay's life
        log.info("outbox relay started", relay=self.name, position=position)
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                published_to = await self.relay_once(position)
                if published_to == position:
                    await self._idle()
                position = published_to
        finally:
            if listener is not None:
                await listener.remove_listener(self._channel, self._on_notify)
                await self.pool.release(listener)

    async def relay_once(self, position: int) -> int:
        """Publish the next batch after `position`; returns the new position."""
        notifications = await asyncio.to_thread(
            self.application.notification_log.select,
            position,
            self.batch_size,
            inclusive_of_start=False,
        )
        if not notifications:
            return position
        messages = [m for n in notifications for m in self._messages_for(n)]
        if messages:
            await self.publisher.publish_all(messages)
        new_position = notifications[-1].id
        await self._save_position(new_position)
        RELAY_POSITION.labels(self.name).set(new_position)
        RELAY_PUBLISHED.labels(self.name).inc(len(messages))
        return new_position

    def _messages_for(self, notification: Notification) -> list[OutgoingMessage]:
        domain_event = self.application.mapper.to_domain_event(notification)
        occurred_at = getattr(domain_event, "timestamp", None)
        messages = []
        for index, (key, data) in enumerate(self.translate(domain_event)):
            envelope = new_envelope(
                data,
                producer=self.producer,
                event_id=event_id_for(domain_event, index),
                occurred_at=occurred_at if isinstance(occurred_at, datetime) else None,
            )
            headers = (("notification_id", str(notification.id).encode()),)
            messages.append(OutgoingMessage(data.topic, key, encode(envelope), headers))
        return messages

    async def _load_position(self) -> int:
        async with self.pool.acquire() as conn:
            value = await conn.fetchval(
                "SELECT notification_id FROM relay_positions WHERE relay = $1", self.name
            )
        return int(value or 0)

    async def _save_position(self, notification_id: int) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO relay_positions (relay, notification_id) VALUES ($1, $2) "
                "ON CONFLICT (relay) DO UPDATE SET notification_id = EXCLUDED.notification_id, "
                "updated_at = now()",
                self.name,
                notification_id,
            )

    async def _listen(self) -> asyncpg.Connection | None:
        """Wake on the recorder's NOTIFY instead of waiting out the poll interval."""
        if not self._channel:
            return None
        conn: asyncpg.Connection = await self.pool.acquire()
        await conn.add_listener(self._channel, self._on_notify)
        return conn

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _idle(self) -> None:
        head = await asyncio.to_thread(self.application.recorder.max_notification_id)
        RELAY_HEAD.labels(self.name).set(head or 0)
        try:
            await asyncio.wait_for(self._wake.wait(), self.idle_wait)
        except TimeoutError:
            pass
