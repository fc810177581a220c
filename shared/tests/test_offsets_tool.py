"""Setting a consumer group back to a moment, as a restore from backup needs, on a real broker."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from claims_shared.events import topics
from claims_shared.kafka_tools import KafkaSettings
from claims_shared.offsets import committed, reset_to
from devinfra import kafka_clients
from devinfra.testing import topic_prefix

MOMENTS = [datetime(2026, 11, 25, hour, tzinfo=UTC) for hour in (1, 2, 3)]


async def test_reset_moves_the_group_to_the_first_message_at_or_after_the_moment(
    infrastructure: Any,
) -> None:
    bootstrap = infrastructure.kafka_bootstrap_servers
    settings = KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=topic_prefix(),
        **kafka_clients.access(bootstrap, "operator").model_dump(),
    )
    topic = settings.topic_prefix + topics.ADJUSTER_UPDATES
    # The group of this test alone: other tests' claim-status consumers join "claim-status".
    group = settings.topic_prefix + "claim-status"
    admin = AIOKafkaAdminClient(**settings.client_options())
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    await admin.close()
    producer = AIOKafkaProducer(**settings.client_options())
    await producer.start()
    for moment in MOMENTS:
        await producer.send_and_wait(topic, b"{}", timestamp_ms=int(moment.timestamp() * 1000))
    await producer.stop()

    after_all = await reset_to(settings, group, topic, datetime(2030, 1, 1, tzinfo=UTC))
    assert list(after_all.values()) == [3]
    back = await reset_to(settings, group, topic, datetime(2026, 11, 25, 1, 30, tzinfo=UTC))
    assert list(back.values()) == [1]
    assert list((await committed(settings, group, topic)).values()) == [1]

    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "claims_shared.offsets",
            "show",
            "--group",
            group,
            "--topic",
            topics.ADJUSTER_UPDATES,
        ],
        env={
            **os.environ,
            **kafka_clients.process_env(settings.bootstrap_servers, "operator"),
            "KAFKA_TOPIC_PREFIX": settings.topic_prefix,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.split() == [group, topic, "0", "1"]
    naive = subprocess.run(
        [
            sys.executable,
            "-m",
            "claims_shared.offsets",
            "reset",
            "--group",
            group,
            "--topic",
            topics.ADJUSTER_UPDATES,
            "--to-datetime",
            "2026-11-25T01:00:00",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert naive.returncode == 2 and "UTC offset" in naive.stderr
