"""Following an eventsourcing application's notification log, in order, from a stored position:
the one loop behind the outbox relay and every read-model projection.

The eventsourcing PostgreSQL recorder inserts under an exclusive table lock, so notification ids
become visible in order and reading `> position` never skips an event committed later.

A stored event a follower cannot decode, translate or render (the function raises anything but a
known transient failure, `claims_shared.kafka.is_transient`) stops nothing else: it is skipped
with a log line naming it, counted in `follower_events_skipped_total`, and the position moves
past it. If every event of a batch fails alike (`looks_systemic`: a bad release, not a bad
event), nothing is skipped: the batch raises `SystemicFailure` and is retried when the worker
restarts. Transient failures raise as before and are retried the same way.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Notification, Recording
from eventsourcing.postgres import PostgresApplicationRecorder
from prometheus_client import Counter, Gauge

from claims_shared.kafka import is_transient, looks_systemic
from claims_shared.logging import get_logger

log = get_logger(__name__)

FOLLOWER_POSITION = Gauge("event_follower_position", "Last notification id processed", ["follower"])
FOLLOWER_HEAD = Gauge(
    "event_follower_head", "Newest notification id in the followed event store", ["follower"]
)
FOLLOWER_SKIPPED = Counter(
    "follower_events_skipped_total",
    "Stored events a follower could not decode, translate or render, skipped",
    ["follower"],
)

HEAD_READ_EVERY = 1.0
"""Seconds between reads of the event store's newest notification id while idle."""

Unreadable = list[tuple[Notification, Exception]]
"""Stored events a follower failed on, each with why."""


class SystemicFailure(Exception):
    """Every event of a batch failed alike: taken for an outage or a bad release, retried."""


class RecentlyRecorded:
    """The domain events this process recorded or decoded last, by notification id. An
    application that mixes it in lets the followers in the same process (projection, relay)
    use the events it just saved instead of decoding them again from the store; an event not
    remembered (another process wrote it: the followers run apart, `CLAIM_STATUS_WORKERS`) is
    decoded by the first follower that reads it and remembered for the others, so each event
    is decoded once per process, not once per follower."""

    remember_last = 2000  # a few batches; a follower further behind decodes from the store

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._recent: OrderedDict[int, DomainEventProtocol[Any]] = OrderedDict()
        self._recent_lock = threading.Lock()  # for writers: saves happen in worker threads
        super().__init__(*args, **kwargs)

    def _notify(self, recordings: list[Recording[Any]]) -> None:
        super()._notify(recordings)  # type: ignore[misc]
        self.remember((r.notification.id, r.domain_event) for r in recordings)

    def remember(self, events: Iterable[tuple[int, DomainEventProtocol[Any]]]) -> None:
        with self._recent_lock:
            self._recent.update(events)
            while len(self._recent) > self.remember_last:
                self._recent.popitem(last=False)

    def recorded(self, notification_id: int) -> DomainEventProtocol[Any] | None:
        return self._recent.get(notification_id)  # one atomic lookup: no lock for readers


class NotificationFollower:
    """Subclasses say where the position is kept and what processing a batch means; `process`
    must record the new position durably, and only once the batch's effect is durable."""

    name: str

    def __init__(
        self,
        *,
        application: Application[Any],
        pool: asyncpg.Pool,
        batch_size: int = 200,
        idle_wait: float = 0.5,
    ) -> None:
        self.application = application
        self.pool = pool
        self.batch_size = batch_size
        self.idle_wait = idle_wait
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._head_read_at = -HEAD_READ_EVERY
        recorder = application.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            raise TypeError(
                f"{type(self).__name__} reads PostgreSQL's notification table itself; "
                f"{type(recorder).__name__} has none"
            )
        # eventsourcing's recorder attributes, pinned by shared/tests/test_eventsourcing_seams.py
        self._channel: str = recorder.channel_name
        table = recorder.events_table_name
        schema = recorder.datastore.schema or "public"
        self._select = (
            "SELECT notification_id, originator_id, originator_version, topic, state "
            f'FROM "{schema}"."{table}" WHERE notification_id > $1 '
            "ORDER BY notification_id LIMIT $2"
        )
        self._head = f'SELECT max(notification_id) FROM "{schema}"."{table}"'

    async def load_position(self) -> int:
        raise NotImplementedError

    async def process(self, notifications: Sequence[Notification]) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        position = await self.load_position()
        listener = await self._listen()  # held for the follower's life
        log.info("following the event store", follower=self.name, position=position)
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                new_position = await self.step(position)
                if new_position == position:
                    await self._idle()
                position = new_position
        finally:
            if listener is not None:
                await listener.remove_listener(self._channel, self._on_notify)
                await self.pool.release(listener)

    async def step(self, position: int) -> int:
        """Process the next batch after `position`; returns the new position."""
        notifications = await self.read_after(position)
        if not notifications:
            return position
        await self.process(notifications)
        FOLLOWER_POSITION.labels(self.name).set(notifications[-1].id)
        return notifications[-1].id

    async def read_after(self, position: int) -> list[Notification]:
        """The next batch, read on the event loop with asyncpg: the recorder's own read (psycopg
        in a worker thread) cost a thread hop and slower row decoding for every batch, and the
        notification log caps a read at its section size (10 events)."""
        rows = await self.pool.fetch(self._select, position, self.batch_size)
        # Columns by position, in the order `_select` names them: no lookup by name for every
        # field of every row (building the notifications was 2-4 % of the followers' Python).
        return [
            Notification(
                id=row[0],
                originator_id=row[1],
                originator_version=row[2],
                topic=row[3],
                state=row[4],
            )
            for row in rows
        ]

    def readable_events(
        self, notifications: Sequence[Notification], unreadable: Unreadable
    ) -> list[tuple[Notification, DomainEventProtocol[Any]]]:
        """The batch's domain events that decode, from the application's memory where it
        remembers them; the others are added to `unreadable`. What this decoded is remembered
        once for the batch: one lock and one trim, not one an
        event (the followers' process decodes every event the intake's process saved)."""
        memory = self.application if isinstance(self.application, RecentlyRecorded) else None
        to_domain_event = self.application.mapper.to_domain_event
        events = []
        decoded = []
        for notification in notifications:
            event = memory.recorded(notification.id) if memory is not None else None
            if event is None:
                try:
                    event = to_domain_event(notification)
                except Exception as error:
                    if is_transient(error):
                        raise
                    unreadable.append((notification, error))
                    continue
                decoded.append((notification.id, event))
            events.append((notification, event))
        if memory is not None and decoded:
            memory.remember(decoded)
        return events

    def skip(self, unreadable: Unreadable, batch_size: int) -> None:
        """Skip what the batch could not take, or raise SystemicFailure when every event of
        it failed alike (then nothing is skipped: the worker restarts and tries again)."""
        if not unreadable:
            return
        errors = [error for _, error in unreadable]
        if looks_systemic(errors, anything_succeeded=len(unreadable) < batch_size):
            raise SystemicFailure(
                f"{self.name}: all {len(errors)} events from notification "
                f"{unreadable[0][0].id} failed with {errors[0]!r}; nothing skipped"
            )
        for notification, error in unreadable:
            log.error(
                "stored event skipped: it cannot be decoded, translated or rendered",
                follower=self.name,
                notification_id=notification.id,
                originator_id=str(notification.originator_id),
                originator_version=notification.originator_version,
                event_topic=notification.topic,
                error_type=type(error).__name__,
                error=repr(error),
            )
            FOLLOWER_SKIPPED.labels(self.name).inc()

    async def catch_up(self) -> int:
        """Process everything recorded so far (for commands and tests); returns the position."""
        position = await self.load_position()
        while (new_position := await self.step(position)) != position:
            position = new_position
        return position

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
        """Wait for the next NOTIFY (or the poll interval). The head gauge (lag, for the alerts)
        is read at most once a second: at a steady rate a follower goes idle after nearly every
        batch, and that query was one more round trip per batch, on the freshness path."""
        now = time.monotonic()
        if now - self._head_read_at >= HEAD_READ_EVERY:
            self._head_read_at = now
            head = await self.pool.fetchval(self._head)
            FOLLOWER_HEAD.labels(self.name).set(head or 0)
        try:
            await asyncio.wait_for(self._wake.wait(), self.idle_wait)
        except TimeoutError:
            pass
