"""The operators' dead-letter tool: see what a consumer gave up on and why, then, after the fix,
send it back to the topic it came from.

    python -m claims_shared.dlq list claims.adjuster-updates
    python -m claims_shared.dlq show claims.adjuster-updates 0:12
    python -m claims_shared.dlq replay claims.adjuster-updates            # all not yet replayed
    python -m claims_shared.dlq replay claims.adjuster-updates --only 0:12

Topics are named as in docs/architecture.md; KAFKA_BOOTSTRAP_SERVERS and KAFKA_TOPIC_PREFIX are
read as the services read them. Replaying is idempotent twice over: `replay` remembers how far it
got (consumer group `dlq-replay` on the DLQ topic, committed after each message is acknowledged),
and every consumer applies a message once by its event id, so a message replayed twice (after a
crash, or with --only) changes nothing the second time."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from claims_shared.events import topics
from claims_shared.kafka_tools import KafkaSettings, partitions_of

REPLAY_GROUP = "dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp_ms: int
    key: str
    value: bytes
    headers: dict[str, str]

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def envelope(self) -> dict[str, Any]:
        try:
            loaded: dict[str, Any] = json.loads(self.value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def summary(self) -> str:
        envelope = self.envelope
        return "\t".join(
            [
                self.position,
                self.key,
                str(envelope.get("event_type", "?")),
                str(envelope.get("event_id", "?")),
                self.headers.get("dlq.consumer_group", "?"),
                self.headers.get("dlq.reason", "?"),
            ]
        )


def _dead_letter(record: ConsumerRecord) -> DeadLetter:
    return DeadLetter(
        record.partition,
        record.offset,
        record.timestamp,
        (record.key or b"").decode(errors="replace"),
        record.value or b"",
        {name: value.decode(errors="replace") for name, value in record.headers or ()},
    )


class DeadLetterQueue:
    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        self.settings = settings
        self.source = settings.topic_prefix + topic
        self.name = topics.dlq(self.source)

    async def read(self) -> list[DeadLetter]:
        """Everything in the DLQ, oldest first per partition."""
        partitions = await partitions_of(self.settings, self.name)
        if not partitions:
            return []  # no DLQ yet: nothing was ever dead-lettered
        consumer = await self._open(partitions, group=None)
        try:
            return [_dead_letter(r) for r in await _read_to_end(consumer)]
        finally:
            await consumer.stop()

    async def replay(self, only: Sequence[str] = ()) -> list[DeadLetter]:
        """Publish to the source topic: the given positions, or all not yet replayed."""
        partitions = await partitions_of(self.settings, self.name)
        if not partitions:
            return []
        consumer = await self._open(partitions, group=None if only else REPLAY_GROUP)
        producer = AIOKafkaProducer(
            **self.settings.client_options(), enable_idempotence=True, acks="all"
        )
        await producer.start()
        replayed = []
        try:
            for record in await _read_to_end(consumer):
                letter = _dead_letter(record)
                if only and letter.position not in only:
                    continue
                await producer.send_and_wait(
                    self.source, letter.value, key=record.key, headers=self._headers(letter)
                )
                if not only:
                    partition = TopicPartition(record.topic, record.partition)
                    await consumer.commit({partition: record.offset + 1})
                replayed.append(letter)
        finally:
            await producer.stop()
            await consumer.stop()
        return replayed

    def _headers(self, letter: DeadLetter) -> list[tuple[str, bytes]]:
        """The original headers; the DLQ's own are replaced by where this replay came from."""
        kept = [(n, v.encode()) for n, v in letter.headers.items() if not n.startswith("dlq.")]
        return [*kept, ("dlq.replayed_from", f"{self.name}:{letter.position}".encode())]

    async def _open(self, partitions: list[TopicPartition], group: str | None) -> AIOKafkaConsumer:
        """Assigned these partitions of the DLQ, at `group`'s committed position or the start.
        Only opened when the DLQ exists: a consumer stopped before its first await fails in
        aiokafka (its coordinator's task is cancelled before it ran)."""
        consumer = AIOKafkaConsumer(
            **self.settings.client_options(),
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        consumer.assign(partitions)
        for partition in partitions:
            committed = await consumer.committed(partition) if group else None
            if committed is None:
                await consumer.seek_to_beginning(partition)
            else:
                consumer.seek(partition, committed)
        return consumer


async def _read_to_end(consumer: AIOKafkaConsumer) -> list[ConsumerRecord]:
    """Up to each partition's end as it was when we started (the DLQ may keep growing)."""
    partitions = list(consumer.assignment())
    if not partitions:
        return []
    ends = await consumer.end_offsets(partitions)
    records: list[ConsumerRecord] = []
    while await _behind(consumer, ends):
        for tp, batch in (await consumer.getmany(timeout_ms=1000)).items():
            records += [r for r in batch if r.offset < ends[tp]]
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return True
    return False


async def run(command: str, topic: str, positions: Sequence[str]) -> int:
    queue = DeadLetterQueue(KafkaSettings(), topic)
    if command == "list":
        letters = await queue.read()
        print("position\tkey\tevent_type\tevent_id\tconsumer_group\treason")
        for letter in letters:
            print(letter.summary())
        print(f"{len(letters)} message(s) in {queue.name}", file=sys.stderr)
    elif command == "show":
        wanted = set(positions)
        for letter in await queue.read():
            if letter.position in wanted:
                print(
                    json.dumps(
                        {
                            "position": letter.position,
                            "key": letter.key,
                            "headers": letter.headers,
                            "envelope": letter.envelope,
                        },
                        ensure_ascii=False,
                        indent=2,
                    )
                )
    else:
        replayed = await queue.replay(positions)
        for letter in replayed:
            print(f"replayed {letter.summary()}")
        print(f"{len(replayed)} message(s) replayed to {queue.source}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="claims_shared.dlq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["list", "show", "replay"])
    parser.add_argument("topic", choices=topics.ALL, help="the source topic whose DLQ to use")
    parser.add_argument("positions", nargs="*", help="partition:offset (show)")
    parser.add_argument("--only", action="append", default=[], help="replay only partition:offset")
    args = parser.parse_args(argv)
    positions = args.positions if args.command == "show" else args.only
    return asyncio.run(run(args.command, args.topic, positions))


if __name__ == "__main__":
    sys.exit(main())
