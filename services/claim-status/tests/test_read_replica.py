"""The customer API served from a read replica: an instance with CLAIM_STATUS_READ_ONLY starts
against a database that refuses every write (as a hot standby does) and answers from the read
model the primary's projection keeps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from claim_status_harness import (
    ClaimStatusService,
    open_claim,
    read_replica,
    token,
)


async def test_a_read_only_instance_answers_from_a_database_that_refuses_writes(
    claim_status: ClaimStatusService, infrastructure: object
) -> None:
    log = await open_claim(claim_status, "C-REPLICA")
    async with read_replica(claim_status, infrastructure) as replica:
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
