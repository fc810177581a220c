"""claim-status killed with SIGKILL at random moments while updates stream in loses nothing and
applies nothing twice: after a restart every update is in the customer's view exactly once."""

import asyncio
import json
import os
import random
import signal
from typing import Any

import asyncpg
import pytest

from claim_status_harness import ClaimLog, claim_status_process, opened
from claims_shared.events import encode, new_envelope, topics
from devinfra.paths import free_port
from devinfra.testing import ManualClock, eventually, publish, topic_prefix


@pytest.mark.slow
async def test_killed_at_random_moments_loses_and_doubles_nothing(
    infrastructure: Any, database_url: str
) -> None:
    prefix, clock = topic_prefix(), ManualClock()
    env = {
        **os.environ,
        "CLAIM_STATUS_DATABASE_URL": database_url,
        **infrastructure.kafka_env("claim-status"),
        "KAFKA_TOPIC_PREFIX": prefix,
        "CLAIM_STATUS_HTTP_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    logs = [ClaimLog() for _ in range(20)]
    updates = [opened(log, clock, f"C{n % 3}") for n, log in enumerate(logs)]
    for _ in range(9):
        updates += [log.next("note_added", clock, text=f"メモ {log.sequence}") for log in logs]

    service, rng = claim_status_process(env), random.Random(5)
    for index, update in enumerate(updates):
        await publish(
            infrastructure.kafka_bootstrap_servers,
            prefix + topics.ADJUSTER_UPDATES,
            update.claim_id,
            encode(new_envelope(update, producer="claims-core")),
        )
        if index % 40 == 39:
            await asyncio.sleep(rng.uniform(0.2, 1.5))
            service.send_signal(signal.SIGKILL)
            service.wait()
            service = claim_status_process(env)
    conn = await asyncpg.connect(database_url)
    try:

        async def all_visible() -> bool:
            try:
                total = await conn.fetchval(
                    "SELECT sum(jsonb_array_length(detail->'timeline')) FROM accidents_v1"
                )
            except asyncpg.UndefinedTableError:
                return False
            return total == len(updates)

        await eventually(all_visible, timeout=90)
        await asyncio.sleep(1.5)  # room for a wrongful second application to show
        rows = await conn.fetch("SELECT claim_id, detail->'timeline' AS timeline FROM accidents_v1")
    finally:
        await conn.close()
        service.terminate()
        service.wait(timeout=20)
    assert len(rows) == 20
    for row in rows:
        timeline = json.loads(row["timeline"])
        notes = [entry["data"]["text"] for entry in timeline if entry["type"] == "note_added"]
        assert notes == [f"メモ {n}" for n in range(1, 10)], row["claim_id"]
