"""Kafka, done one way for every service.

aiokafka's defaults are weaker than the Java client's (acks=1, no idempotence, auto-commit,
read_uncommitted), so every one is set here explicitly:
- EventPublisher: idempotent producer, acks=all; `publish` returns only after the broker acked.
- ConsumerRunner: manual commits after the handler's effect (at-least-once delivery; handlers make
  it exactly-once by recording the event id with their effect, see claims_shared.idempotency).
  A message that can never be processed goes to `<topic>.dlq` with the reason, then the runner
  goes on. Any other failure (a database down) is retried from the same offset with back-off,
  so an outage never empties a topic into the DLQ.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import RecordMetadata
from prometheus_client import Counter, Gauge
from pydantic import ValidationError

from claims_shared.events import Envelope, encode, topics
from claims_shared.events.catalogue import UnknownEventType
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


class UnprocessableMessage(Exception):
    """Raised by a handler for a message no retry can fix (it breaks a rule, refers to nothing)."""


DEAD_LETTER_ERRORS: tuple[type[BaseException], ...] = (
    UnprocessableMessage,
    ValidationError,
    UnknownEventType,
    UnicodeDecodeError,
    json.JSONDecodeError,
)


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: str
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


class EventPublisher:
    """`topic_prefix` (KAFKA_TOPIC_PREFIX) puts every topic of one environment, or one test,
    under its own names: 'staging.' + 'registration.events'."""

    def __init__(self, bootstrap_servers: str, client_id: str, topic_prefix: str = "") -> None:
        self.topic_prefix = topic_prefix
        self.producer = AIOKafkaProducer(
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

    async def check_ready(self) -> None:
        """Readiness: the cluster answers a metadata request."""
        await self.producer.client.fetch_all_metadata()


Handler = Callable[[ConsumerRecord], Awaitable[None]]
BatchHandler = Callable[
    [list[ConsumerRecord]], Awaitable[list[tuple[ConsumerRecord, BaseException]]]
]
"""Handles a fetch's records at once, every partition's, each partition's in order (throughput:
one transaction for many messages), and returns the messages that can never be processed, with
why; those go to the DLQ."""


class ConsumerRunner:
    """Runs `handle` on every message of `topics` for one consumer group, until `stop()`."""

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        handle: Handler | None = None,
        publisher: EventPublisher,
        handle_batch: BatchHandler | None = None,
        max_records: int = 200,
        retry_backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_attempts: int | None = None,
        session_timeout_ms: int = 10000,
    ) -> None:
        """`max_attempts` None retries a transient failure until it passes (a database outage
        must not empty a topic into the DLQ); a number sends the message to the DLQ after that
        many failed attempts (a mail server that keeps refusing one message)."""
        self.name = f"consumer:{group_id}"
        self.group_id = group_id
        self.topics = [publisher.topic_prefix + topic for topic in topics]
        if (handle is None) == (handle_batch is None):
            raise ValueError("give one of handle and handle_batch")
        self.handle = handle
        self.handle_batch = handle_batch
        self.publisher = publisher
        self.max_records = max_records
        self.retry_backoff = retry_backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self._failures: dict[tuple[str, int, int], int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._consumer_options: dict[str, Any] = {
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
                if self.handle_batch is not None:
                    if batches:
                        await self._process_batches(batches)
                else:
                    for partition, records in batches.items():
                        await self._process_partition(partition, records)
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

    async def _process_partition(
        self, partition: TopicPartition, records: list[ConsumerRecord]
    ) -> None:
        """Handle records in order and commit once for the batch, after the effects."""
        next_offset: int | None = None
        for record in records:
            if self._stopping.is_set():
                break
            if not await self._process(record):
                await self._retry_from(partition, record)
                break
            next_offset = record.offset + 1
        if next_offset is not None:
            await self._commit({partition: next_offset})

    async def _process_batches(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Every partition's records in one handler call and one commit: the fixed cost of a
        transaction and a commit is paid once per fetch, not once per partition (records keep
        their order within a partition, the only order Kafka gives)."""
        assert self.handle_batch is not None
        records = [record for partition_records in batches.values() for record in partition_records]
        try:
            unprocessable = await self.handle_batch(records)
        except Exception as error:  # transient: every partition again, from its first record
            for partition, partition_records in batches.items():
                self._count_failure(partition_records[0], error)
                self.consumer.seek(partition, partition_records[0].offset)
            await self._back_off(records[0])
            return
        for record, reason in unprocessable:
            await self._dead_letter(record, reason)
        for partition, partition_records in batches.items():
            MESSAGES_PROCESSED.labels(self.group_id, partition.topic).inc(len(partition_records))
        # The commit (a round trip to the group coordinator) overlaps the next fetch; commits
        # stay in order, one at a time. A crash before it lands redelivers the fetch, which
        # the handler's idempotency absorbs, as for any crash between effect and commit.
        await self._settle_commit()
        self._pending_commit = asyncio.ensure_future(
            self._commit({partition: batch[-1].offset + 1 for partition, batch in batches.items()})
        )

    async def _settle_commit(self) -> None:
        if self._pending_commit is not None:
            await self._pending_commit
            self._pending_commit = None

    def _count_failure(self, record: ConsumerRecord, error: BaseException) -> int:
        position = (record.topic, record.partition, record.offset)
        attempts = self._failures[position] = self._failures.get(position, 0) + 1
        HANDLER_RETRIES.labels(self.group_id, record.topic).inc()
        log.warning(
            "handler failed; will retry",
            group=self.group_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            attempts=attempts,
            error=repr(error),
        )
        return attempts

    async def _retry_from(self, partition: TopicPartition, record: ConsumerRecord) -> None:
        """Re-read from this record after a pause that doubles with each failure of it;
        nothing after it is handled (or committed) before it."""
        self.consumer.seek(partition, record.offset)
        await self._back_off(record)

    async def _back_off(self, record: ConsumerRecord) -> None:
        attempts = self._failures.get((record.topic, record.partition, record.offset), 1)
        await asyncio.sleep(min(self.retry_backoff * 2 ** (attempts - 1), self.max_backoff))

    async def _process(self, record: ConsumerRecord) -> bool:
        position = (record.topic, record.partition, record.offset)
        try:
            assert self.handle is not None
            await self.handle(record)
        except DEAD_LETTER_ERRORS as error:
            await self._dead_letter(record, error)
        except Exception as error:
            attempts = self._count_failure(record, error)
            if self.max_attempts is not None and attempts >= self.max_attempts:
                self._failures.pop(position, None)
                await self._dead_letter(record, error, attempts)
                return True
            return False
        self._failures.pop(position, None)
        MESSAGES_PROCESSED.labels(self.group_id, record.topic).inc()
        return True

    async def _dead_letter(
        self, record: ConsumerRecord, error: BaseException, attempts: int = 1
    ) -> None:
        reason = f"{type(error).__name__}: {error}"[:2000]
        if attempts > 1:
            reason = f"gave up after {attempts} attempts: {reason}"
        headers = [
            *(record.headers or ()),
            ("dlq.reason", reason.encode()),
            ("dlq.error_type", type(error).__name__.encode()),
            ("dlq.source_topic", record.topic.encode()),
            ("dlq.source_partition", str(record.partition).encode()),
            ("dlq.source_offset", str(record.offset).encode()),
            ("dlq.consumer_group", self.group_id.encode()),
        ]
        await self.publisher.producer.send_and_wait(
            topics.dlq(record.topic), record.value, key=record.key, headers=headers
        )
        MESSAGES_DEAD_LETTERED.labels(self.group_id, record.topic).inc()
        log.warning(
            "message sent to the DLQ",
            group=self.group_id,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
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
