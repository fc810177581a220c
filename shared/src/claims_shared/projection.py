"""Read models kept exactly once: a projection's rows and its position in the event store are
written in one PostgreSQL transaction (or one statement), so a crash at any point neither loses
nor doubles an update, and a projection can be rebuilt from the event store at any time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification
from prometheus_client import Histogram

from claims_shared.follow import NotificationFollower, SystemicFailure, Unreadable
from claims_shared.kafka import is_transient

PROJECTION_DELAY = Histogram(
    "projection_delay_seconds",
    "From an event recorded in the event store to visible in the read model",
    ["projection"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def position_upsert(source: str) -> str:
    """The statement that moves a projection's position, taking (projection, notification_id)
    from `source`: `VALUES (...)`, or a `SELECT` a read model puts in its own statement."""
    return (
        f"INSERT INTO projection_positions (projection, notification_id) {source} "
        "ON CONFLICT (projection) DO UPDATE SET "
        "notification_id = EXCLUDED.notification_id, updated_at = now()"
    )


@dataclass(frozen=True)
class Position:
    """Where a projection stands once a batch is written."""

    projection: str
    notification_id: int

    async def save(self, conn: asyncpg.Connection) -> None:
        """In the transaction that writes the batch's rows."""
        await conn.execute(position_upsert("VALUES ($1, $2)"), *self.columns)

    @property
    def columns(self) -> tuple[str, int]:
        return self.projection, self.notification_id


class ReadModel(Protocol):
    """Its tables, and projection_positions, come from the service's migrations, or from the
    service itself when their name is chosen at run time (claim_status.read_model)."""

    name: str

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        """Update the rows for a batch of domain events, in order, inside the caller's
        transaction (a read model may fold the batch in memory and write each row once)."""


@runtime_checkable
class WritesItsPosition(Protocol):
    """A read model that writes a batch's rows and the projection's position in one round trip.

    The projection's usual batch then costs one round trip instead of four (BEGIN, the rows,
    the position, COMMIT; the sends to PostgreSQL were a fifth of the followers' process)."""

    async def apply_all_at(
        self,
        conn: asyncpg.Connection,
        domain_events: Sequence[DomainEventProtocol[Any]],
        position: Position,
    ) -> None:
        """Like `apply_all`, on a connection in no transaction: the rows and `position` become
        durable together, in one statement where the batch allows (it is its own transaction)
        or in a transaction this opens. Rows may be written before the position only if writing
        them again is harmless (a replayed batch rewrites them unchanged)."""


class Projector(NotificationFollower):
    def __init__(
        self,
        *,
        application: Application[Any],
        read_model: ReadModel,
        pool: asyncpg.Pool,
        batch_size: int = 200,
        idle_wait: float = 0.5,
    ) -> None:
        super().__init__(
            application=application, pool=pool, batch_size=batch_size, idle_wait=idle_wait
        )
        self.read_model = read_model
        self.name = f"projection:{read_model.name}"
        self._in_one_trip = read_model if isinstance(read_model, WritesItsPosition) else None

    async def load_position(self) -> int:
        value = await self.pool.fetchval(
            "SELECT notification_id FROM projection_positions WHERE projection = $1",
            self.read_model.name,
        )
        return int(value or 0)

    async def process(self, notifications: Sequence[Notification]) -> None:
        """An event the read model cannot render is skipped (NotificationFollower.skip). The
        batch is first written as it is, in one transaction (the usual case, and the freshness
        path: no savepoints); only if that fails with anything but a transient failure is it
        written again, in halves, each in a savepoint, down to the single events that fail.
        Every other event is applied, in order, and the position moves past them all."""
        unreadable: Unreadable = []
        readable = self.readable_events(notifications, unreadable)
        try:
            await self._write(notifications, readable, unreadable, isolate=False)
        except Exception as error:
            if is_transient(error) or isinstance(error, SystemicFailure):
                raise
            await self._write(notifications, readable, unreadable, isolate=True)
        visible_at = datetime.now(UTC)
        delay = PROJECTION_DELAY.labels(self.read_model.name)
        skipped = {notification.id for notification, _ in unreadable}
        for notification, event in readable:
            if notification.id in skipped:
                continue
            recorded_at: datetime | None = getattr(event, "timestamp", None)
            if recorded_at is not None:
                delay.observe((visible_at - recorded_at).total_seconds())

    async def _write(
        self,
        notifications: Sequence[Notification],
        readable: list[tuple[Notification, DomainEventProtocol[Any]]],
        unreadable: Unreadable,
        *,
        isolate: bool,
    ) -> None:
        """The read model's rows and the new position in one transaction; in one round trip
        (WritesItsPosition) when every event of the batch decoded."""
        position = Position(self.read_model.name, notifications[-1].id)
        if self._in_one_trip is not None and not isolate and not unreadable:
            async with self.pool.acquire() as conn:
                await self._in_one_trip.apply_all_at(conn, [e for _, e in readable], position)
            return
        async with self.pool.acquire() as conn, conn.transaction():
            if isolate:
                await self._render(conn, readable, unreadable)
            else:
                await self.read_model.apply_all(conn, [event for _, event in readable])
            unreadable.sort(key=lambda failure: failure[0].id)
            self.skip(unreadable, len(notifications))
            await position.save(conn)

    async def _render(
        self,
        conn: asyncpg.Connection,
        events: list[tuple[Notification, DomainEventProtocol[Any]]],
        unrenderable: Unreadable,
    ) -> None:
        """Apply `events` in a savepoint; if the read model fails on them with anything but a
        transient failure, apply each half in turn, down to the single events to skip."""
        if not events:
            return
        try:
            async with conn.transaction():
                await self.read_model.apply_all(conn, [event for _, event in events])
        except Exception as error:
            if is_transient(error):
                raise
            if len(events) == 1:
                unrenderable.append((events[0][0], error))
                return
            middle = len(events) // 2
            await self._render(conn, events[:middle], unrenderable)
            await self._render(conn, events[middle:], unrenderable)
