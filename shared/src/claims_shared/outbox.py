"""The outbox relay: the event store of each service doubles as its transactional outbox.

The relay follows the application's notification log, turns each domain event into zero or more
integration events (the service's `translate`), publishes them with the idempotent producer and
records its position only after Kafka acknowledged every message. A crash at any point republishes
at most the last batch; the envelope's event_id is derived from the domain event (originator id and
version), so consumers recognise a republished message.
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
from prometheus_client import Counter

from claims_shared.events import EventData, encode, new_envelope
from claims_shared.follow import NotificationFollower, Unreadable
from claims_shared.kafka import EventPublisher, OutgoingMessage, is_transient

RELAY_PUBLISHED = Counter("outbox_relay_published_total", "Messages the relay published", ["relay"])

EVENT_ID_NAMESPACE = uuid.UUID("6f1c1a8e-3b9f-4a53-9d55-0c1f3c1f7a10")

Translate = Callable[[DomainEventProtocol[Any]], Sequence[tuple[str, EventData]]]
"""Maps a domain event to (key, integration event data) pairs; most map to none or one."""


def event_id_for(domain_event: DomainEventProtocol[Any], index: int = 0) -> uuid.UUID:
    """The same domain event always yields the same integration event id."""
    name = f"{domain_event.originator_id}:{domain_event.originator_version}:{index}"
    return uuid.uuid5(EVENT_ID_NAMESPACE, name)


class OutboxRelay(NotificationFollower):
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
        translate_blocks: bool = True,
    ) -> None:
        """`translate_blocks`: whether `translate` may block (identity's loads the account from
        the event store), so each batch is translated in a worker thread. A service whose
        translate only computes passes False: the batch is then decoded and translated on the
        event loop, without a thread hop a batch (a submit, a wake-up of the loop, the GIL
        handed back and forth; at a steady rate a batch is a few events)."""
        super().__init__(
            application=application, pool=pool, batch_size=batch_size, idle_wait=idle_wait
        )
        self.translate = translate
        self.translate_blocks = translate_blocks
        self.publisher = publisher
        self.producer = producer
        self.name = f"relay:{producer}:{application.name}"

    async def load_position(self) -> int:
        """From relay_positions, a table of the service's migrations (claims_shared.schema)."""
        value = await self.pool.fetchval(
            "SELECT notification_id FROM relay_positions WHERE relay = $1", self.name
        )
        return int(value or 0)

    async def process(self, notifications: Sequence[Notification]) -> None:
        """An event that cannot be translated is skipped (NotificationFollower.skip): one bad
        event must not hold back every later one from Kafka."""
        unreadable: Unreadable = []
        if self.translate_blocks:
            # In a thread: a service's translate may load an aggregate from the event store
            # (identity reads the account for its email), a blocking query that must not stall
            # the API's loop.
            messages = await asyncio.to_thread(self._translate_all, notifications, unreadable)
        else:
            messages = self._translate_all(notifications, unreadable)
        unreadable.sort(key=lambda failure: failure[0].id)
        self.skip(unreadable, len(notifications))
        if messages:
            await self.publisher.publish_all(messages)
        async with self.pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO relay_positions (relay, notification_id) VALUES ($1, $2) "
                "ON CONFLICT (relay) DO UPDATE SET notification_id = EXCLUDED.notification_id, "
                "updated_at = now()",
                self.name,
                notifications[-1].id,
            )
        RELAY_PUBLISHED.labels(self.name).inc(len(messages))

    def _translate_all(
        self, notifications: Sequence[Notification], unreadable: Unreadable
    ) -> list[OutgoingMessage]:
        messages = []
        for notification, domain_event in self.readable_events(notifications, unreadable):
            try:
                messages.extend(self._messages_for(notification, domain_event))
            except Exception as error:
                if is_transient(error):
                    raise
                unreadable.append((notification, error))
        return messages

    def _messages_for(
        self, notification: Notification, domain_event: DomainEventProtocol[Any]
    ) -> list[OutgoingMessage]:
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
