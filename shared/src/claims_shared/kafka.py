"""Kafka, done one way for every service.

aiokafka's defaults are weaker than the Java client's (acks=1, no idempotence, auto-commit,
read_uncommitted), so every one is set here explicitly:
- EventPublisher: idempotent producer, acks=all; `publish` returns only after the broker acked.
- ConsumerRunner: manual commits after the handler's effect (at-least-once delivery; handlers make
  it exactly-once by recording the event id with their effect, see claims_shared.idempotency).
  A message that can never be processed goes to `<topic>.dlq` with the reason, then the runner
  goes on. A known transient failure (a database or broker away: `is_transient`) is retried from
  the same offset with back-off, so an outage never empties a topic into the DLQ; any other
  failure is isolated to the one message that causes it, which goes to the DLQ, unless every
  message fails alike (see `ConsumerRunner`).
- EventRoutes / EventBatches: a consumer's dispatch table, `{event type: handler}`. The runner
  decodes each message once and calls the handler of its type with the typed event; types the
  table does not name are skipped.
- DeadLetter: the one way to the DLQ (`EventPublisher.dead_letter`), with one set of headers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

import asyncpg
import eventsourcing.persistence
import orjson
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import RecordMetadata
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from claims_shared.events import Envelope, EventData, decode, encode, topics
from claims_shared.events.catalogue import UnknownEventType, envelope_type
from claims_shared.logging import get_logger

log = get_logger(__name__)

Headers = list[tuple[str, bytes]]

MESSAGES_PROCESSED = Counter(
    "kafka_messages_processed_total", "Messages a consumer handled", ["group", "topic"]
)
MESSAGES_DEAD_LETTERED = Counter(
    "kafka_messages_dead_lettered_total", "Messages sent to a DLQ", ["group", "topic"]
)
CONSUMER_LAG = Gauge(
    "kafka_consumer_lag",
    "Messages behind the partition's end, after the last batch handled",
    ["group", "topic", "partition"],
)
HANDLER_RETRIES = Counter(
    "kafka_handler_retries_total", "Transient handler failures retried", ["group", "topic"]
)
MESSAGES_ISOLATED = Counter(
    "kafka_messages_isolated_total",
    "Messages the handler failed on alone, with an error that is not a known transient failure "
    "(or a transient one past max_attempts), sent to the DLQ so the rest could go on",
    ["group", "topic"],
)
SYSTEMIC_FAILURES = Counter(
    "kafka_handler_systemic_failures_total",
    "Fetches whose messages all failed alone with the same error: taken for an outage and "
    "retried with back-off instead of being sent to the DLQ",
    ["group"],
)


class UnprocessableMessage(Exception):
    """Raised by a handler for a message no retry can fix (it breaks a rule, refers to nothing)."""


DEAD_LETTER_ERRORS: tuple[type[BaseException], ...] = (
    UnprocessableMessage,
    ValidationError,
    UnknownEventType,
    UnicodeDecodeError,
    json.JSONDecodeError,
)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # ConnectionError (refused, reset), TimeoutError (asyncio.TimeoutError too)
    asyncpg.PostgresConnectionError,  # the connection broke or could not be made
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now (restart)
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # serialization failure, deadlock
    psycopg.OperationalError,  # psycopg's connection failures, pool time-outs
    psycopg.InterfaceError,
    eventsourcing.persistence.OperationalError,  # eventsourcing's wrapping of psycopg's
    eventsourcing.persistence.InterfaceError,
    KafkaError,  # the broker away, a leader moving, a request timing out
)
"""Failures that say nothing about the message: retrying the same message later can succeed."""


def is_transient(error: BaseException, also: tuple[type[BaseException], ...] = ()) -> bool:
    """Whether `error` is a known transient failure (or one of a service's own, `also`: the
    notifier's SMTP errors). Everything else is taken to come from the message itself.
    asyncpg's bare InterfaceError is a closed connection or a closing pool; its subclasses
    (DataError: a value the query cannot take) are about the input, so not transient."""
    if isinstance(error, DEAD_LETTER_ERRORS):
        return False
    if type(error) is asyncpg.InterfaceError:
        return True
    return isinstance(error, TRANSIENT_ERRORS + also)


def looks_systemic(failures: Sequence[BaseException], anything_succeeded: bool) -> bool:
    """The guard against a misclassified outage emptying a topic into the DLQ (or making a
    follower skip every event): failures are taken for an outage, not for bad messages, when
    nothing of the batch succeeded and at least two of its items failed, each on its own, with
    the same error type. A batch where anything succeeded shows the handler works, so what
    failed alone is the message's fault; a lone failure has nothing to compare with."""
    return (
        not anything_succeeded
        and len(failures) >= 2
        and len({type(error) for error in failures}) == 1
    )


@dataclass(frozen=True)
class DeadLetter:
    """A message no retry can make processable, and why. `partition` and `offset` are where it
    was read (None for a message that was held in a database first, as claim-status's held
    updates are)."""

    topic: str
    value: bytes | None
    key: bytes | None
    reason: str
    error_type: str
    consumer_group: str
    partition: int | None = None
    offset: int | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    def all_headers(self) -> list[tuple[str, bytes]]:
        """The message's own headers, then the one set of `dlq.*` headers every DLQ carries."""
        source = [("dlq.source_topic", self.topic.encode())]
        if self.partition is not None and self.offset is not None:
            source += [
                ("dlq.source_partition", str(self.partition).encode()),
                ("dlq.source_offset", str(self.offset).encode()),
            ]
        return [
            *self.headers,
            ("dlq.reason", self.reason[:2000].encode()),
            ("dlq.error_type", self.error_type.encode()),
            *source,
            ("dlq.consumer_group", self.consumer_group.encode()),
        ]


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class EventPublisher:
    """`topic_prefix` (KAFKA_TOPIC_PREFIX) puts every topic of one environment, or one test,
    under its own names: 'staging.' + 'registration.events'. `access` is the principal it
    writes as (`KafkaAccess.kafka_options()`; none: PLAINTEXT, for a bare local broker)."""

    def __init__(
        self,
        bootstrap_servers: str,
        client_id: str,
        topic_prefix: str = "",
        access: Mapping[str, Any] | None = None,
    ) -> None:
        self.topic_prefix = topic_prefix
        self.access: Mapping[str, Any] = access or {}
        self.producer = AIOKafkaProducer(
            **self.access,
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            enable_idempotence=True,
            acks="all",
            linger_ms=5,
            request_timeout_ms=30000,
        )

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def publish(
        self, topic: str, key: str, envelope: Envelope[Any], headers: Headers | None = None
    ) -> RecordMetadata:
        return await self.producer.send_and_wait(
            self.topic_prefix + topic, encode(envelope), key=key.encode(), headers=headers or []
        )

    async def publish_all(self, messages: Sequence[OutgoingMessage]) -> list[RecordMetadata]:
        """Send in order, then wait for every ack; per-partition order holds (idempotence)."""
        pending = [
            await self.producer.send(
                self.topic_prefix + m.topic, m.value, key=m.key.encode(), headers=list(m.headers)
            )
            for m in messages
        ]
        return list(await asyncio.gather(*pending))

    async def dead_letter(self, letter: DeadLetter) -> None:
        """The one way a message goes to `<topic>.dlq`: the message as it came, with the
        `dlq.*` headers operators and `claims_shared.dlq` read (`letter.topic` is the full
        topic name, prefix included, as a consumer sees it)."""
        await self.producer.send_and_wait(
            topics.dlq(letter.topic), letter.value, key=letter.key, headers=letter.all_headers()
        )
        MESSAGES_DEAD_LETTERED.labels(letter.consumer_group, letter.topic).inc()
        log.warning(
            "message sent to the DLQ",
            **_where(letter.consumer_group, letter),
            reason=letter.reason[:2000],
        )

    async def check_ready(self) -> None:
        """Readiness: the cluster answers a metadata request."""
        await self.producer.client.fetch_all_metadata()


D = TypeVar("D", bound=EventData)

EventHandler = Callable[[D, Envelope[D]], Awaitable[None]]
"""A consumer's reaction to one event: the typed event, and the envelope it came in (its
event_id, which makes the effect happen once, and when it occurred)."""


@dataclass(frozen=True)
class Received(Generic[D]):
    """One decoded message as a batch handler gets it: the envelope with the typed event, and
    the record it was read from (its key and publication time; `record` also names the message
    a batch handler refuses)."""

    envelope: Envelope[D]
    record: ConsumerRecord

    @property
    def event(self) -> D:
        return self.envelope.data


Refusals = list[tuple[Received[D], BaseException]]
"""The messages of a batch that can never be processed, each with why: they go to the DLQ."""

BatchEventHandler = Callable[[list[Received[D]]], Awaitable[Refusals[D]]]
"""Takes a fetch's events at once, every partition's, each partition's in order (throughput: one
transaction for many messages), and returns the ones it refuses."""

EventKind = tuple[object, object]
"""(event_type, schema_version) as a message states them, before anything is validated."""


def _kind_of(value: bytes | None) -> EventKind | None:
    """A cheap look at the type a message says it carries (the JSON is parsed, not validated)."""
    if value is None:
        return None
    try:
        head = orjson.loads(value)
        return (head["event_type"], head["schema_version"])
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return None


def _as(
    model: type[Envelope[Any]], kind: EventKind, record: ConsumerRecord
) -> Received[Any] | None:
    """The message validated with `model` if it is valid and says it is of `kind`, else None
    (then the type it says is looked at first, as for a table of several types). A consumer of
    one type (the adjuster updates) parsed each message twice: once for its type, once to
    validate it, the first a twentieth of the intake's CPU."""
    try:
        envelope = model.model_validate_json(record.value or b"")
    except ValidationError:
        return None
    if (envelope.event_type, envelope.schema_version) != kind:
        return None
    return Received(envelope, record)


def _envelope_model(event_type: type[EventData]) -> type[Envelope[Any]]:
    """The model a message of this type is validated with: the catalogue's (an adjuster update
    is validated as the union of its kinds), or the envelope of the type itself."""
    try:
        return envelope_type(event_type.event_type, event_type.schema_version)
    except KeyError:
        return Envelope[event_type]  # type: ignore[valid-type]


class Dispatch(Protocol):
    """What the runner needs from a consumer's dispatch table (EventRoutes, EventBatches)."""

    one_at_a_time: bool
    """True: each partition's messages are handed over one by one (a transient failure holds
    back only the rest of that partition); False: a whole fetch in one call."""

    def read(self, record: ConsumerRecord) -> Received[EventData] | None:
        """The decoded message, or None to skip it. Raises for a message no retry can make
        processable (it goes to the DLQ with the reason)."""

    async def handle(self, piece: list[Received[EventData]]) -> Refusals[EventData]:
        """Act on decoded messages; returns those refused. Raises when the piece failed."""


class _Table:
    """Decoding for a dispatch table: each message once, with the envelope model of its type.

    A message of a type the table does not name is still decoded with the catalogue (a message
    no service could read, or a type and version this service does not know, goes to the DLQ as
    it always has) and then skipped, and the runner commits past it: the topics a service reads
    carry other services' events, and a reaction another service adds tomorrow must not stop
    this consumer. `refuse_others` is for an inbound topic whose contract allows only the
    table's types (the adjusters' systems publish only AdjusterUpdate): there anything else is
    the sender's mistake and goes to the DLQ."""

    def __init__(self, refuse_others: bool) -> None:
        self.refuse_others = refuse_others
        self._models: dict[EventKind, type[Envelope[Any]]] = {}

    def _route(self, event_type: type[EventData]) -> None:
        kind = (event_type.event_type, event_type.schema_version)
        if kind in self._models:
            raise ValueError(f"{event_type.event_type} v{event_type.schema_version} routed twice")
        self._models[kind] = _envelope_model(event_type)

    def read(self, record: ConsumerRecord) -> Received[EventData] | None:
        if len(self._models) == 1:  # one type: validate at once, no first parse for the type
            [(only, single)] = self._models.items()
            received = _as(single, only, record)
            if received is not None:
                return received
        kind = _kind_of(record.value)
        try:
            model = self._models.get(kind) if kind is not None else None
        except TypeError:  # a type or version that is a list or an object: unhashable
            model = None
        if model is None:
            envelope = decode(record.value)
            if self.refuse_others:
                taken = ", ".join(sorted(str(event_type) for event_type, _ in self._models))
                raise UnprocessableMessage(
                    f"{envelope.event_type} on {record.topic}, which carries only {taken}"
                )
            return None
        return Received(model.model_validate_json(record.value), record)


class EventRoutes(_Table):
    """A consumer's dispatch table, `{event type: handler}`, one message at a time:

        EventRoutes().on(UserRegistered, accounts.create_account_for)

    The runner decodes each message once (see `_Table` for what is skipped and what goes to
    the DLQ) and calls the handler of its type with the typed event and its envelope."""

    one_at_a_time = True

    def __init__(self, refuse_others: bool = False) -> None:
        super().__init__(refuse_others)
        self._handlers: dict[EventKind, Callable[[Envelope[EventData]], Awaitable[None]]] = {}

    def on(self, event_type: type[D], handler: EventHandler[D]) -> EventRoutes:
        """Route `event_type` (and, for a union such as AdjusterUpdate, its kinds) to
        `handler`; returns the table, so a consumer's table reads as one expression."""

        async def call(envelope: Envelope[EventData]) -> None:
            typed = cast(Envelope[D], envelope)  # read() validated it with event_type's model
            await handler(typed.data, typed)

        self._route(event_type)
        self._handlers[(event_type.event_type, event_type.schema_version)] = call
        return self

    async def handle(self, piece: list[Received[EventData]]) -> Refusals[EventData]:
        for received in piece:
            envelope = received.envelope
            await self._handlers[(envelope.event_type, envelope.schema_version)](envelope)
        return []


class EventBatches(_Table, Generic[D]):
    """A dispatch table of one event type whose handler takes a whole fetch at once
    (claim-status's intake: one transaction for many updates). Decoding, skipping and the DLQ
    are as for `EventRoutes`."""

    one_at_a_time = False

    def __init__(
        self, event_type: type[D], handler: BatchEventHandler[D], refuse_others: bool = False
    ) -> None:
        super().__init__(refuse_others)
        self._route(event_type)
        self.handler = handler

    async def handle(self, piece: list[Received[EventData]]) -> Refusals[EventData]:
        # read() validated every message of the piece with the one type's model.
        refused = await self.handler(cast(list[Received[D]], piece))
        return cast(Refusals[EventData], refused)


Position = tuple[str, int, int]
"""(topic, partition, offset): a message's place in the log."""


def _position(record: ConsumerRecord) -> Position:
    return (record.topic, record.partition, record.offset)


def _where(group: str, message: ConsumerRecord | DeadLetter) -> dict[str, Any]:
    """Where a message in a log line was read, said alike by the retry, isolation and DLQ lines
    so an operator can follow one message from its first failure to its dead letter."""
    return {
        "group": group,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
    }


@dataclass
class _Pass:
    """What one pass over a fetch found, message by message. A message absent from all three
    was not handled (a transient failure stopped the pass before it)."""

    succeeded: set[Position] = field(default_factory=set)
    """Handled, or skipped (a type the consumer's table does not name)."""
    poison: dict[Position, BaseException] = field(default_factory=dict)
    """Undecodable, DEAD_LETTER_ERRORS, or refused by a batch handler: to the DLQ, whatever
    else."""
    suspects: dict[Position, tuple[BaseException, int]] = field(default_factory=dict)
    """Failed alone with any other error (with the attempts, when past max_attempts)."""
    split: bool = False
    """Whether the pass has begun splitting a batch (logged once per pass)."""

    def handled(self, record: ConsumerRecord) -> bool:
        position = _position(record)
        return position in self.succeeded or position in self.poison or position in self.suspects


class ConsumerRunner:
    """Runs a dispatch table (`routes`) on every message of `topics` for one consumer group,
    until `stop()`.

    Each fetch is decoded first, once, message by message (`Dispatch.read`): what does not
    decode goes to the DLQ, what the table does not name is skipped, and only the rest reaches
    the handlers, however often a failure makes the runner hand it over again. Both modes
    (`EventRoutes`, one message at a time; `EventBatches`, a whole fetch at once) then take one
    path through the rule for failures, decided per fetch:
    - A known transient failure (`is_transient`, plus the runner's own `transient` types) is
      retried with back-off from the message that failed (in the batch mode, from the start of
      the fetch), up to `max_attempts` attempts when it is set. In the batch mode each message
      of a failed call counts the attempt; a call whose messages are out of attempts is split
      like any other failure, so the one message that keeps failing is found and dead-lettered
      ("gave up after N attempts", N at least max_attempts) while the rest are applied.
    - Any other failure is isolated: the per-record mode has the message in hand; the batch
      mode handles the failed batch in halves, in order (halves of the combined list, which
      keeps each partition's order), recursively, until the messages that fail on their own
      are found. The others are applied and committed; those go to the DLQ with the reason,
      logged and counted (`kafka_messages_isolated_total`).
    - The guard (`looks_systemic`): if nothing of the fetch succeeded and two or more messages
      failed alone with the same error type, that is an outage nobody classified (a library's
      own "unavailable" error), not a run of bad messages: nothing goes to the DLQ, the fetch
      is retried from its first failed message with back-off, and
      `kafka_handler_systemic_failures_total` counts it. A fetch of one message that fails
      goes to the DLQ (there is nothing to compare it with). The price: a fetch made only of
      bad messages of one kind waits until a later fetch also holds a message that works.
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        routes: Dispatch,
        publisher: EventPublisher,
        max_records: int = 200,
        retry_backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_attempts: int | None = None,
        transient: tuple[type[BaseException], ...] = (),
        session_timeout_ms: int = 10000,
    ) -> None:
        """`max_attempts` None retries a transient failure until it passes (a database outage
        must not empty a topic into the DLQ); a number sends the message to the DLQ after that
        many failed attempts (a mail server that keeps refusing one message). `transient`
        adds a service's own transient failures (the notifier's SMTP errors) to `is_transient`."""
        self.name = f"consumer:{group_id}"
        self.group_id = group_id
        self.topics = [publisher.topic_prefix + topic for topic in topics]
        self.routes = routes
        self.publisher = publisher
        self.max_records = max_records
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self.transient = transient
        self._failures: dict[Position, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._consumer_options: dict[str, Any] = {
            **publisher.access,  # one process, one principal: the consumer reads as it writes
            "bootstrap_servers": bootstrap_servers,
            "group_id": group_id,
            "client_id": group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "isolation_level": "read_committed",
            "session_timeout_ms": session_timeout_ms,
            "heartbeat_interval_ms": max(1000, session_timeout_ms // 3),
            "max_poll_interval_ms": 300000,
        }
        self._stopping = asyncio.Event()
        self._pending_commit: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """A fresh aiokafka consumer each run, so a supervisor can restart a failed runner."""
        self.consumer = AIOKafkaConsumer(*self.topics, **self._consumer_options)
        await self.consumer.start()
        log.info("consumer started", group=self.group_id, topics=self.topics)
        try:
            while not self._stopping.is_set():
                batches = await self.consumer.getmany(timeout_ms=500, max_records=self.max_records)
                if batches:
                    await self._process_fetch(batches)
                for partition in batches:
                    self._report_lag(partition)
        finally:
            await self._settle_commit()
            await self.consumer.stop()
            log.info("consumer stopped", group=self.group_id)

    def _report_lag(self, partition: TopicPartition) -> None:
        """End of the partition (as of the last fetch) minus what this group has committed."""
        end = self.consumer.last_stable_offset(partition) or self.consumer.highwater(partition)
        committed = self._committed.get(partition)
        if end is not None and committed is not None:
            CONSUMER_LAG.labels(self.group_id, partition.topic, str(partition.partition)).set(
                max(0, end - committed)
            )

    def stop(self) -> None:
        """Finish the message in hand, commit, leave the group."""
        self._stopping.set()

    async def _process_fetch(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """The batch mode hands every partition's events to one handler call (the fixed cost
        of a transaction and a commit is paid once per fetch); the per-message mode hands each
        partition's events over in order, a transient failure holding back only the rest of
        its partition. Either way the fetch is settled, and committed, once."""
        found = _Pass()
        received = self._read(batches, found)
        if not self.routes.one_at_a_time:
            await self._isolate([item for items in received for item in items], found)
        else:
            for items in received:
                for item in items:
                    if self._stopping.is_set() or not await self._isolate([item], found):
                        break
        await self._settle(batches, found)

    def _read(
        self, batches: dict[TopicPartition, list[ConsumerRecord]], found: _Pass
    ) -> list[list[Received[EventData]]]:
        """Decode the fetch once: each partition's events for the handlers, in order; what
        cannot be decoded is poison, what the table does not name has succeeded (skipped)."""
        received = []
        for records in batches.values():
            items = []
            for record in records:
                try:
                    item = self.routes.read(record)
                except Exception as error:  # decoding is pure: the message is at fault
                    found.poison[_position(record)] = error
                    continue
                if item is None:
                    found.succeeded.add(_position(record))
                else:
                    items.append(item)
            received.append(items)
        return received

    async def _isolate(self, piece: list[Received[EventData]], found: _Pass) -> bool:
        """Handle `piece`; if it fails with anything but a transient failure that has
        attempts left, handle its halves in turn, down to single messages, which are then
        suspects. False when a transient failure stopped the pass (the rest waits)."""
        if not piece:
            return True
        try:
            refused = await self.routes.handle(piece)
        except Exception as error:
            attempts = 1
            if is_transient(error, self.transient):
                attempts = self._count_failure(piece, error)
                if self.max_attempts is None or attempts < self.max_attempts:
                    return False
            if len(piece) == 1:
                if isinstance(error, DEAD_LETTER_ERRORS):
                    found.poison[_position(piece[0].record)] = error
                else:
                    found.suspects[_position(piece[0].record)] = (error, attempts)
                return True
            if not found.split:
                found.split = True
                log.warning(
                    "handler failed on a batch; handling it in halves to find the message",
                    group=self.group_id,
                    messages=len(piece),
                    error=repr(error),
                )
            middle = len(piece) // 2
            return await self._isolate(piece[:middle], found) and await self._isolate(
                piece[middle:], found
            )
        for item, reason in refused:
            found.poison[_position(item.record)] = reason
        found.succeeded.update(
            _position(item.record) for item in piece if _position(item.record) not in found.poison
        )
        return True

    async def _settle(
        self, batches: dict[TopicPartition, list[ConsumerRecord]], found: _Pass
    ) -> None:
        """Dead-letter what the pass decided, commit each partition up to its first message
        still undecided, and re-read from there after a back-off. The usual fetch, every
        message handled, takes no per-message bookkeeping (this is the intake's hot path)."""
        if len(found.succeeded) == sum(len(records) for records in batches.values()):
            for partition, records in batches.items():
                MESSAGES_PROCESSED.labels(self.group_id, partition.topic).inc(len(records))
            if self._failures:  # retried messages that have now gone through
                for records in batches.values():
                    for record in records:
                        self._failures.pop(_position(record), None)
            await self._commit_later({p: records[-1].offset + 1 for p, records in batches.items()})
            return
        suspects_go = self._suspects_go(batches, found)
        offsets: dict[TopicPartition, int] = {}
        waiting: list[ConsumerRecord] = []
        for partition, records in batches.items():
            decided = 0
            for record in records:
                if not await self._decide(record, found, suspects_go):
                    break
                decided += 1
            if decided:
                offsets[partition] = records[decided - 1].offset + 1
            if decided < len(records):
                waiting.extend(records[decided:])
                if partition in self.consumer.assignment():
                    self.consumer.seek(partition, records[decided].offset)
        if offsets:
            await self._commit_later(offsets)
        if waiting and not self._stopping.is_set():
            attempts = max(self._failures.get(_position(r), 1) for r in waiting)
            await asyncio.sleep(min(self.retry_backoff * 2 ** (attempts - 1), self.max_backoff))

    def _suspects_go(
        self, batches: dict[TopicPartition, list[ConsumerRecord]], found: _Pass
    ) -> bool:
        """Whether the suspects go to the DLQ now (see the class's docstring)."""
        if not found.suspects or found.succeeded:
            return True
        if not all(found.handled(r) for records in batches.values() for r in records):
            return False  # a transient failure stopped the pass: no verdict yet
        errors = [error for error, _ in found.suspects.values()]
        if not looks_systemic(errors, anything_succeeded=False):
            return True
        SYSTEMIC_FAILURES.labels(self.group_id).inc()
        log.error(
            "every message of the fetch failed alike: taken for an outage, retried, not "
            "sent to the DLQ",
            group=self.group_id,
            messages=len(found.suspects),
            error=repr(errors[0]),
        )
        for position in found.suspects:
            self._failures[position] = self._failures.get(position, 0) + 1
        return False

    async def _decide(self, record: ConsumerRecord, found: _Pass, suspects_go: bool) -> bool:
        """Act on what the pass found for this message; False if it must be handled again."""
        position = _position(record)
        if position in found.succeeded:
            MESSAGES_PROCESSED.labels(self.group_id, record.topic).inc()
        elif position in found.poison:
            await self._dead_letter(record, found.poison[position])
        elif position in found.suspects and suspects_go:
            error, attempts = found.suspects[position]
            log.warning(
                "handler failed on this message alone; isolated",
                **_where(self.group_id, record),
                error_type=type(error).__name__,
                error=repr(error),
            )
            await self._dead_letter(record, error, attempts)
            MESSAGES_ISOLATED.labels(self.group_id, record.topic).inc()
        else:
            return False
        self._failures.pop(position, None)
        return True

    async def _commit_later(self, offsets: dict[TopicPartition, int]) -> None:
        """The commit (a round trip to the group coordinator) overlaps the next fetch; commits
        stay in order, one at a time. A crash before it lands redelivers the fetch, which the
        handler's idempotency absorbs, as for any crash between effect and commit."""
        await self._settle_commit()
        self._pending_commit = asyncio.ensure_future(self._commit(offsets))

    async def _settle_commit(self) -> None:
        if self._pending_commit is not None:
            await self._pending_commit
            self._pending_commit = None

    def _count_failure(self, piece: list[Received[EventData]], error: BaseException) -> int:
        """One more attempt for each message of the piece; returns the most any has had."""
        attempts = 0
        for item in piece:
            position = _position(item.record)
            self._failures[position] = self._failures.get(position, 0) + 1
            attempts = max(attempts, self._failures[position])
        first = piece[0].record
        HANDLER_RETRIES.labels(self.group_id, first.topic).inc()
        log.warning(
            "handler failed; will retry",
            **_where(self.group_id, first),
            messages=len(piece),
            attempts=attempts,
            error=repr(error),
        )
        return attempts

    async def _dead_letter(
        self, record: ConsumerRecord, error: BaseException, attempts: int = 1
    ) -> None:
        reason = f"{type(error).__name__}: {error}"
        if attempts > 1:
            reason = f"gave up after {attempts} attempts: {reason}"
        await self.publisher.dead_letter(
            DeadLetter(
                topic=record.topic,
                value=record.value,
                key=record.key,
                reason=reason,
                error_type=type(error).__name__,
                consumer_group=self.group_id,
                partition=record.partition,
                offset=record.offset,
                headers=tuple(record.headers or ()),
            )
        )

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        """After the effect. If a rebalance took a partition, the next owner re-reads the
        messages and the handler's idempotency makes that harmless."""
        try:
            await self.consumer.commit(offsets)
            self._committed.update(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            log.warning(
                "commit failed; the messages may be redelivered",
                error=repr(error),
                partitions=[f"{p.topic}[{p.partition}]" for p in offsets],
            )
