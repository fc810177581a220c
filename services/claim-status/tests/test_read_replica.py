"""The customer API served from a read replica: an instance with CLAIM_STATUS_READ_ONLY starts
against a database that refuses every write (as a hot standby does) and answers from the read
model the primary's projection keeps."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import ValidationError

from claim_status.main import build
from claim_status_harness import (
    ClaimLog,
    ClaimStatusService,
    claim_status_settings,
    key_set,
    opened,
    token,
)
from devinfra.testing import in_process


async def test_a_read_only_instance_answers_from_a_database_that_refuses_writes(
    claim_status: ClaimStatusService, infrastructure: object
) -> None:
    log = ClaimLog()
    await claim_status.send(opened(log, claim_status.clock, "C-REPLICA"))
    await claim_status.accident_at("C-REPLICA", log.claim_id, 1)
    url = claim_status.settings.database_url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET default_transaction_read_only = on'
        )
    settings = claim_status_settings(
        infrastructure,
        url,
        read_only=True,
        workers="",
        kafka_topic_prefix=claim_status.settings.kafka_topic_prefix,
    )
    async with in_process(build(settings, clock=claim_status.clock, fetch_keys=key_set)) as replica:
        answer = await replica.get(
            "/api/v1/me/accidents",
            headers={
                "Authorization": f"Bearer {token(claim_status.clock, customer_id='C-REPLICA')}"
            },
        )
    assert answer.status_code == 200
    assert [item["claim_id"] for item in answer.json()["items"]] == [log.claim_id]


def test_a_read_only_instance_runs_no_workers() -> None:
    from claim_status.settings import ClaimStatusSettings

    with pytest.raises(ValidationError, match="runs no workers"):
        ClaimStatusSettings(read_only=True)
