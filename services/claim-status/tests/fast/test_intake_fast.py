"""Adjusters' updates taken in as the customer hears of them: in sequence order per claim, an
early one held until the gap is filled, one whose gap never fills sent to the DLQ. The intake's
ports are in memory (claim_status_fakes)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from claim_status.application import Outcome
from claim_status.domain import InvalidUpdate
from claim_status.intake import ClaimUpdateService
from claim_status.integration import translate
from claim_status.main import ClaimStatusPorts, wire
from claim_status.settings import ClaimStatusSettings
from claim_status_fakes import InMemoryHeldUpdates, in_memory_ports
from claim_status_harness import ClaimLog
from claims_shared.events import AdjusterUpdate, ClaimStatusChanged
from claims_shared.testing import FakePublisher, leaving
from devinfra.testing import ManualClock

HOLD_SECONDS = 600


@dataclass
class Intake:
    intake: ClaimUpdateService
    ports: ClaimStatusPorts
    clock: ManualClock
    log: ClaimLog

    def opened(self) -> AdjusterUpdate:
        return self.log.next(
            "claim_opened",
            self.clock,
            customer_id="C-0001",
            policy_number="A-2026-000001",
            accident_date="2026-11-20",
            summary="交差点での接触事故",
        )

    def stage(self, stage: str) -> AdjusterUpdate:
        return self.log.next("stage_changed", self.clock, stage=stage)

    def heard(self) -> list[int]:
        """The sequences the customer was told of (claims.status-events), in order."""
        told = leaving(self.ports.claims, translate)
        return [data.sequence for data in told if isinstance(data, ClaimStatusChanged)]

    @property
    def held(self) -> InMemoryHeldUpdates:
        assert isinstance(self.ports.held, InMemoryHeldUpdates)
        return self.ports.held

    @property
    def dead_letters(self) -> FakePublisher:
        assert isinstance(self.ports.publisher, FakePublisher)
        return self.ports.publisher


@pytest.fixture
def intake() -> Intake:
    clock = ManualClock()
    ports = in_memory_ports()
    settings = ClaimStatusSettings(hold_early_updates_seconds=HOLD_SECONDS)
    return Intake(wire(settings, clock, ports), ports, clock, ClaimLog())


async def test_updates_in_order_each_reach_the_customer(intake: Intake) -> None:
    updates = [intake.opened(), intake.stage("investigating"), intake.stage("payment_processing")]

    outcomes = [await intake.intake.receive(update) for update in updates]

    assert outcomes == [Outcome.APPLIED] * 3
    assert intake.heard() == [1, 2, 3]


async def test_an_update_ahead_of_its_turn_is_held_and_not_told(intake: Intake) -> None:
    opened, _, early = intake.opened(), intake.stage("investigating"), intake.stage("paid")
    await intake.intake.receive(opened)

    outcome = await intake.intake.receive(early)

    assert outcome == "held"
    assert intake.heard() == [1]
    assert await intake.held.count() == 1


async def test_the_held_update_is_applied_as_soon_as_the_gap_is_filled(intake: Intake) -> None:
    opened, gap, early = intake.opened(), intake.stage("investigating"), intake.stage("paid")
    await intake.intake.receive(opened)
    await intake.intake.receive(early)

    await intake.intake.receive(gap)

    assert intake.heard() == [1, 2, 3]
    assert await intake.held.count() == 0


async def test_updates_held_out_of_order_are_released_in_sequence_order(intake: Intake) -> None:
    opened = intake.opened()
    second, third = intake.stage("investigating"), intake.stage("payment_processing")
    fourth = intake.stage("paid")
    await intake.intake.receive(opened)
    await intake.intake.receive(fourth)
    await intake.intake.receive(third)

    await intake.intake.receive(second)

    assert intake.heard() == [1, 2, 3, 4]


async def test_a_held_update_waits_while_a_gap_remains_before_it(intake: Intake) -> None:
    opened, second, third = intake.opened(), intake.stage("investigating"), intake.stage("paid")
    _, fifth = intake.log.next("claim_closed", intake.clock), intake.stage("investigating")
    await intake.intake.receive(opened)
    await intake.intake.receive(third)
    await intake.intake.receive(fifth)

    await intake.intake.receive(second)

    assert intake.heard() == [1, 2, 3]
    assert [h.update.sequence for h in intake.held.held.values()] == [5]


async def test_the_first_update_of_a_claim_may_arrive_after_the_second(intake: Intake) -> None:
    opened, second = intake.opened(), intake.stage("investigating")

    assert await intake.intake.receive(second) == "held"
    await intake.intake.receive(opened)

    assert intake.heard() == [1, 2]


async def test_an_update_redelivered_is_taken_once(intake: Intake) -> None:
    opened, second = intake.opened(), intake.stage("investigating")
    await intake.intake.receive(opened)
    await intake.intake.receive(second)

    again = await intake.intake.receive(second)

    assert again is Outcome.DUPLICATE
    assert intake.heard() == [1, 2]


async def test_an_early_update_redelivered_is_held_and_released_once(intake: Intake) -> None:
    opened, second, early = intake.opened(), intake.stage("investigating"), intake.stage("paid")
    await intake.intake.receive(opened)
    await intake.intake.receive(early)
    await intake.intake.receive(early)

    await intake.intake.receive(second)

    assert intake.heard() == [1, 2, 3]


async def test_a_held_update_whose_gap_never_fills_goes_to_the_dlq_with_the_reason(
    intake: Intake,
) -> None:
    opened, _, early = intake.opened(), intake.stage("investigating"), intake.stage("paid")
    await intake.intake.receive(opened)
    await intake.intake.receive(early)

    intake.clock.advance(seconds=HOLD_SECONDS - 1)
    assert await intake.intake.expire_held() == 0
    intake.clock.advance(seconds=2)
    assert await intake.intake.expire_held() == 1

    [letter] = intake.dead_letters.dead_letters
    assert letter.key == early.claim_id.encode()
    assert letter.topic.endswith("claims.adjuster-updates")
    assert "the claim waits for sequence 2" in letter.reason
    assert await intake.held.count() == 0
    assert intake.heard() == [1]


async def test_a_sequence_taken_by_another_update_is_refused(intake: Intake) -> None:
    opened = intake.opened()
    await intake.intake.receive(opened)
    intake.log.sequence = 0
    impostor = intake.stage("investigating")

    with pytest.raises(InvalidUpdate, match="already used"):
        await intake.intake.receive(impostor)


async def test_an_update_from_the_future_is_refused(intake: Intake) -> None:
    opened = intake.opened()
    intake.clock.advance(hours=-1)

    with pytest.raises(InvalidUpdate):
        await intake.intake.receive(opened)
