"""Move a consumer group back in time, for a restore: after a service's database is restored
from a backup taken at T, its consumer group is set back to T so Kafka delivers again what the
lost part of the database had taken in (every consumer applies a message once, so what the
backup already held is skipped).

    python -m claims_shared.offsets show  --group claim-status --topic claims.adjuster-updates
    python -m claims_shared.offsets reset --group claim-status --topic claims.adjuster-updates \\
        --to-datetime 2026-11-25T01:00:00+09:00

Stop the group's consumers first (Kafka refuses to move the offsets of a group with members).
KAFKA_BOOTSTRAP_SERVERS and KAFKA_TOPIC_PREFIX are read as the services read them."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from claims_shared.events import topics
from claims_shared.kafka_tools import KafkaSettings, partitions_of


@asynccontextmanager
async def assigned(
    settings: KafkaSettings, group: str, topic: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A consumer of `group` assigned every partition of `topic` (no group membership)."""
    consumer = AIOKafkaConsumer(
        **settings.client_options(), group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await partitions_of(settings, topic)
        consumer.assign(partitions)
        yield consumer, partitions
    finally:
        await consumer.stop()


async def committed(settings: KafkaSettings, group: str, topic: str) -> dict[TopicPartition, int]:
    async with assigned(settings, group, topic) as (consumer, partitions):
        return {tp: (await consumer.committed(tp)) or 0 for tp in partitions}


async def reset_to(
    settings: KafkaSettings, group: str, topic: str, moment: datetime
) -> dict[TopicPartition, int]:
    """Commit, per partition, the first offset at or after `moment` (the end if none)."""
    async with assigned(settings, group, topic) as (consumer, partitions):
        stamp = int(moment.timestamp() * 1000)
        found = await consumer.offsets_for_times({tp: stamp for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        offsets = {tp: (found[tp].offset if found[tp] else ends[tp]) for tp in partitions}
        await consumer.commit(offsets)
        return offsets


async def run(command: str, group: str, topic: str, moment: datetime | None) -> None:
    settings = KafkaSettings()
    name = settings.topic_prefix + topic
    if command == "reset":
        assert moment is not None
        offsets = await reset_to(settings, group, name, moment)
    else:
        offsets = await committed(settings, group, name)
    for partition, offset in offsets.items():
        print(f"{group}\t{partition.topic}\t{partition.partition}\t{offset}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="claims_shared.offsets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["show", "reset"])
    parser.add_argument("--group", required=True)
    parser.add_argument("--topic", required=True, choices=topics.ALL)
    parser.add_argument("--to-datetime", type=datetime.fromisoformat, help="ISO 8601 with offset")
    args = parser.parse_args(argv)
    if args.command == "reset" and (args.to_datetime is None or args.to_datetime.tzinfo is None):
        parser.error("reset needs --to-datetime with a UTC offset, e.g. 2026-11-25T01:00:00+09:00")
    asyncio.run(run(args.command, args.group, args.topic, args.to_datetime))


if __name__ == "__main__":
    main()
