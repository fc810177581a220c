"""Two claim-status processes on one event store, as after a Kafka rebalance: each trusts its
cached claims, and still neither holds an update it could apply nor applies one twice."""

from __future__ import annotations

import asyncio
import uuid

from claim_status.application import Claims, Outcome
from claim_status.domain import InvalidUpdate
from claim_status_harness import ClaimLog, opened
from claims_shared.database import create_pool, start_application
from claims_shared.settings import eventsourcing_env
from devinfra.testing import ManualClock


def test_a_cached_claim_another_process_moved_on_is_read_again(database_url: str) -> None:
    env = eventsourcing_env(database_url)
    first, second = Claims(env={**env, "CREATE_TABLE": "y"}), Claims(env=env)
    clock, log = ManualClock(), ClaimLog()
    one = opened(log, clock, "C-TWO")
    two = log.next("note_added", clock, text="二")
    three = log.next("note_added", clock, text="三")

    assert first.try_apply(one) is Outcome.APPLIED  # first caches the claim at sequence 1
    assert second.try_apply(two) is Outcome.APPLIED  # the partition moved to the second
    assert first.try_apply(three) is Outcome.APPLIED, "not held as early: the store has 2"
    assert first.try_apply(two) is Outcome.DUPLICATE
    assert second.try_apply(three) is Outcome.DUPLICATE, "a stale cache conflicts, then re-reads"
    claim = Claims(env=env).claim(log.claim_id)
    assert claim is not None and claim.last_sequence == 3


def test_an_opening_seen_again_by_a_process_that_never_cached_the_claim(
    database_url: str,
) -> None:
    """A fresh process (a restart, a rebalance) takes claim_opened of an uncached claim as new
    without asking the store; the store's unique key must still keep the claim opened once."""
    env = eventsourcing_env(database_url)
    first, restarted = Claims(env={**env, "CREATE_TABLE": "y"}), Claims(env=env)
    clock, log = ManualClock(), ClaimLog()
    opening = opened(log, clock, "C-AGAIN")
    note = log.next("note_added", clock, text="二")
    assert first.try_apply(opening) is Outcome.APPLIED
    assert first.try_apply(note) is Outcome.APPLIED

    other_opening = opening.model_copy(update={"update_id": uuid.uuid4()})
    outcomes = restarted.try_apply_many([opening, other_opening, note])

    assert outcomes[0] is Outcome.DUPLICATE and outcomes[2] is Outcome.DUPLICATE
    assert isinstance(outcomes[1], InvalidUpdate)
    claim = Claims(env=env).claim(log.claim_id)
    assert claim is not None and claim.last_sequence == 2


async def test_instances_starting_together_all_create_the_event_store(database_url: str) -> None:
    """Without the schema lock one of them fails on its CREATE TABLE (duplicate pg_type)."""
    env = eventsourcing_env(database_url)
    pools = [await create_pool(database_url, max_size=1) for _ in range(4)]
    try:
        started = await asyncio.gather(
            *(start_application(pool, lambda: Claims(env=env)) for pool in pools)
        )
        assert len(started) == 4
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))
