"""The one command handler both paths use (the Kafka topic and the adjuster API): apply an update,
hold one that arrived early until the gap is filled, and release what it was holding back.

Held updates live in PostgreSQL before the Kafka offset is committed, so a crash loses none; a
held update whose gap is not filled within `hold_for` goes to the DLQ with the reason."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import orjson
from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge, Histogram
from pydantic import ValidationError

from claim_status.application import Claims, Outcome
from claim_status.domain import InvalidUpdate, check_timing
from claims_shared.clock import Clock
from claims_shared.events import AdjusterUpdate, topics
from claims_shared.events.claims import parse_adjuster_update
from claims_shared.kafka import (
    DeadLetter,
    EventBatches,
    Received,
    Refusals,
    UnprocessableMessage,
)
from claims_shared.logging import get_logger

log = get_logger(__name__)

UPDATES = MetricCounter("claim_updates_total", "Adjuster updates taken in", ["outcome"])
HELD = Gauge("claim_updates_held", "Updates waiting for an earlier sequence")
EXPIRED = MetricCounter(
    "claim_updates_expired_total", "Held updates sent to the DLQ: gap never filled"
)
INVALID = "invalid"
COUNTED = {label: UPDATES.labels(label) for label in (*(o.value for o in Outcome), INVALID)}
"""The counter's children by outcome, looked up once: a labels() lookup and a locked increment
per update showed in the profile; a batch adds each outcome's count once."""
INTAKE_DELAY = Histogram(
    "claim_update_intake_seconds",
    "From an adjuster update's publication on Kafka to the claim saved with it",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


@dataclass(frozen=True)
class HeldUpdate:
    update_id: str
    claim_id: str
    sequence: int
    payload: str  # the update's JSON as it was held


class HeldUpdates(Protocol):
    """Updates waiting for an earlier sequence (claim_status.held_updates.HeldUpdateTable)."""

    async def claims_holding(self, claim_ids: set[str]) -> list[str]: ...

    async def hold(self, update: AdjusterUpdate, at: datetime) -> None:
        """Keep `update` (once: holding it again changes nothing)."""

    async def first_of(self, claim_id: str) -> HeldUpdate | None:
        """The claim's held update with the lowest sequence."""

    async def held_before(self, cutoff: datetime) -> list[HeldUpdate]:
        """Updates held since before `cutoff`, by claim and sequence."""

    async def remove(self, update_id: str) -> None: ...

    async def count(self) -> int: ...


class DeadLetters(Protocol):
    """Where an update that can never be applied goes (claims_shared.kafka.EventPublisher)."""

    topic_prefix: str

    async def dead_letter(self, letter: DeadLetter) -> None: ...


@dataclass(eq=False)
class ClaimUpdateService:
    claims: Claims
    held: HeldUpdates
    publisher: DeadLetters
    clock: Clock
    hold_for: timedelta

    async def receive(self, update: AdjusterUpdate) -> Outcome | str:
        """'held' for an early update; raises InvalidUpdate for one that breaks a rule."""
        check_timing(update.occurred_at, self.clock())
        outcome = await asyncio.to_thread(self.claims.try_apply, update)
        UPDATES.labels(outcome.value).inc()
        if outcome is Outcome.EARLY:
            await self._hold(update)
            return "held"
        if outcome is Outcome.APPLIED and await self._holding({update.claim_id}):
            await self._release(update.claim_id)
        return outcome

    def routes(self) -> EventBatches[AdjusterUpdate]:
        """The adjuster updates consumer's dispatch table: every fetch to `take_in`. The topic's
        contract allows adjuster updates only, so any other event on it goes to the DLQ."""
        return EventBatches(AdjusterUpdate, self.take_in, refuse_others=True)

    async def take_in(self, received: list[Received[AdjusterUpdate]]) -> Refusals[AdjusterUpdate]:
        """Kafka path: a whole fetch in one transaction. Updates that break a rule are returned
        for the DLQ, with the reason."""
        refused: Refusals[AdjusterUpdate] = []
        accepted: list[Received[AdjusterUpdate]] = []
        now = self.clock()
        for item in received:
            try:
                _check_key(item)
                check_timing(item.event.occurred_at, now)
                accepted.append(item)
            except (UnprocessableMessage, InvalidUpdate) as error:
                refused.append((item, error))
        updates = [item.event for item in accepted]
        # Which claims already hold updates, asked while the batch is applied (one writer per
        # claim: the partition's owner), rather than after it, on the batch's critical path.
        held_before = asyncio.ensure_future(self._holding({u.claim_id for u in updates}))
        try:
            outcomes = await asyncio.to_thread(self.claims.try_apply_many, updates)
        except BaseException:
            held_before.cancel()
            raise
        applied: set[str] = set()
        held_now: set[str] = set()
        saved_at = time.time()
        counts = Counter[str]()
        for item, outcome in zip(accepted, outcomes, strict=True):
            update = item.event
            if isinstance(outcome, InvalidUpdate):
                counts[INVALID] += 1
                refused.append((item, outcome))
                continue
            counts[outcome.value] += 1
            if outcome is Outcome.EARLY:
                await self._hold(update)
                held_now.add(update.claim_id)
            elif outcome is Outcome.APPLIED:
                applied.add(update.claim_id)
                INTAKE_DELAY.observe(max(0.0, saved_at - item.record.timestamp / 1000))
        for label, n in counts.items():
            COUNTED[label].inc(n)
        for claim_id in sorted((set(await held_before) | held_now) & applied):
            await self._release(claim_id)
        return refused

    async def _holding(self, claim_ids: set[str]) -> list[str]:
        """Which of these claims have held updates (one query for the whole batch)."""
        if not claim_ids:
            return []
        return await self.held.claims_holding(claim_ids)

    async def _hold(self, update: AdjusterUpdate) -> None:
        await self.held.hold(update, self.clock())
        HELD.inc()

    async def _release(self, claim_id: str) -> None:
        """Apply held updates of this claim while each is the next one."""
        while True:
            held = await self.held.first_of(claim_id)
            if held is None:
                return
            try:
                update = parse_adjuster_update(held.payload)
                outcome = await asyncio.to_thread(self.claims.try_apply, update)
            except (InvalidUpdate, ValidationError) as error:
                await self._dead_letter(held.payload, claim_id, str(error))
                outcome = Outcome.DUPLICATE
            if outcome is Outcome.EARLY:
                return
            await self.held.remove(held.update_id)
            HELD.dec()
            UPDATES.labels(f"released_{outcome.value}").inc()

    async def expire_held(self) -> int:
        """Send updates held longer than `hold_for` to the DLQ; returns how many."""
        cutoff = self.clock() - self.hold_for
        expired = await self.held.held_before(cutoff)
        for held in expired:
            claim = await asyncio.to_thread(self.claims.claim, held.claim_id)
            expected = (claim.last_sequence if claim else 0) + 1
            await self._dead_letter(
                held.payload,
                held.claim_id,
                f"sequence {held.sequence} held since before {cutoff.isoformat()}: an earlier "
                f"update never arrived (the claim waits for sequence {expected})",
            )
            await self.held.remove(held.update_id)
            EXPIRED.inc()
        HELD.set(await self.held.count())
        return len(expired)

    async def _dead_letter(self, payload: str, claim_id: str, reason: str) -> None:
        """A held update (its JSON as it was held) that can never be applied."""
        update = orjson.loads(payload)
        envelope = {
            "event_id": update.get("update_id") or str(uuid.uuid4()),
            "event_type": AdjusterUpdate.event_type,
            "schema_version": AdjusterUpdate.schema_version,
            "occurred_at": update.get("occurred_at") or self.clock().isoformat(),
            "producer": "claim-status",
            "correlation_id": None,
            "data": update,
        }
        await self.publisher.dead_letter(
            DeadLetter(
                topic=self.publisher.topic_prefix + topics.ADJUSTER_UPDATES,
                value=orjson.dumps(envelope),
                key=claim_id.encode(),
                reason=reason,
                error_type="InvalidUpdate",
                consumer_group="claim-status",
            )
        )
        log.warning(
            "held adjuster update sent to the DLQ",
            claim_id=claim_id,
            sequence=update.get("sequence"),
            reason=reason,
        )


def _check_key(item: Received[AdjusterUpdate]) -> None:
    """An update's message key must be its claim id: a claim's updates are ordered by their
    partition, and a mis-keyed one would be applied out of turn (taking the sequence of the
    update that then arrives in order) instead of being refused."""
    key = (item.record.key or b"").decode("utf-8", "replace")
    if key != item.event.claim_id:
        raise UnprocessableMessage(
            f"message key {key!r} is not the update's claim_id {item.event.claim_id!r}"
        )
