"""The held updates the fast tier keeps in memory (claim_status_fakes) behave as the table does
where the fast tests rely on it: each check runs against both."""

from __future__ import annotations

from datetime import timedelta

from claim_status.intake import HeldUpdates
from claim_status_fakes import InMemoryHeldUpdates
from claim_status_harness import ClaimLog, ClaimStatusService
from devinfra.testing import ManualClock


async def held_updates_keep_each_once_in_sequence_order(
    held: HeldUpdates, clock: ManualClock
) -> None:
    log, other = ClaimLog(), ClaimLog()
    updates = [log.next("stage_changed", clock, stage="investigating") for _ in range(4)]
    third, fourth = updates[2], updates[3]
    await held.hold(fourth, clock())
    clock.advance(minutes=5)
    await held.hold(third, clock())
    await held.hold(third, clock())  # redelivered: kept once
    other_update = other.next("stage_changed", clock, stage="investigating")
    await held.hold(other_update, clock())

    assert await held.count() == 3
    assert await held.claims_holding({log.claim_id, "CL-none"}) == [log.claim_id]
    first = await held.first_of(log.claim_id)
    assert first is not None and first.sequence == 3
    assert first.payload and first.update_id == str(third.update_id)
    expired = await held.held_before(clock() - timedelta(minutes=1))
    assert [(h.claim_id, h.sequence) for h in expired] == [(log.claim_id, 4)]

    await held.remove(first.update_id)
    after = await held.first_of(log.claim_id)
    assert after is not None and after.sequence == 4
    assert await held.first_of("CL-none") is None


async def test_held_updates_in_postgres(claim_status: ClaimStatusService) -> None:
    held = claim_status.app.state.intake.held
    await held_updates_keep_each_once_in_sequence_order(held, claim_status.clock)


async def test_held_updates_in_memory() -> None:
    await held_updates_keep_each_once_in_sequence_order(InMemoryHeldUpdates(), ManualClock())
