"""The one command handler both paths use (the Kafka topic and the adjuster API): apply an update,
hold one that arrived early until the gap is filled, and release what it was holding back.

Held updates live in PostgreSQL before the Kafka offset is committed, so a crash loses none; a
held update whose gap is not filled within `hold_for` goes to the DLQ with the reason."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import asyncpg
import orjson
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError

from claim_status.application import Claims, Outcome
from claim_status.domain import InvalidUpdate, check_timing
from claims_shared.clock import Clock
from claims_shared.events import AdjusterUpdate, topics
from claims_shared.events.claims import parse_adjuster_update
from claims_shared.kafka import (
    DeadLetter,
    EventBatches,
    EventPublisher,
    Received,
    Refusals,
    UnprocessableMessage,
)
from claims_shared.logging import get_logger

log = get_logger(__name__)

UPDATES = Counter("claim_updates_total", "Adjuster updates taken in", ["outcome"])
HELD = Gauge("claim_updates_held", "Updates waiting for an earlier sequence")
EXPIRED = Counter("claim_updates_expired_total", "Held updates sent to the DLQ: gap never filled")
INTAKE_DELAY = Histogram(
    "claim_update_intake_seconds",
    "From an adjuster update's publication on Kafka to the claim saved with it",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class UpdateIntake:
    def __init__(
        self,
        claims: Claims,
        pool: asyncpg.Pool,
        publisher: EventPublisher,
        clock: Clock,
        hold_for: timedelta,
    ) -> None:
        self.claims = claims
        self.pool = pool
        self.publisher = publisher
        self.clock = clock
        self.hold_for = hold_for

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
        for item, outcome in zip(accepted, outcomes, strict=True):
            update = item.event
            if isinstance(outcome, InvalidUpdate):
                UPDATES.labels("invalid").inc()
                refused.append((item, outcome))
                continue
            UPDATES.labels(outcome.value).inc()
            if outcome is Outcome.EARLY:
                await self._hold(update)
                held_now.add(update.claim_id)
            elif outcome is Outcome.APPLIED:
                applied.add(update.claim_id)
                INTAKE_DELAY.observe(max(0.0, saved_at - item.record.timestamp / 1000))
        for claim_id in sorted((set(await held_before) | held_now) & applied):
            await self._release(claim_id)
        return refused

    async def _holding(self, claim_ids: set[str]) -> list[str]:
        """Which of these claims have held updates (one query for the whole batch)."""
        if not claim_ids:
            return []
        rows = await self.pool.fetch(
            "SELECT DISTINCT claim_id FROM held_updates WHERE claim_id = ANY($1)", list(claim_ids)
        )
        return [row["claim_id"] for row in rows]

    async def _hold(self, update: AdjusterUpdate) -> None:
        await self.pool.execute(
            "INSERT INTO held_updates VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            str(update.update_id),
            update.claim_id,
            update.sequence,
            update.model_dump_json(),
            self.clock(),
        )
        HELD.inc()

    async def _release(self, claim_id: str) -> None:
        """Apply held updates of this claim while each is the next one."""
        while True:
            row = await self.pool.fetchrow(
                "SELECT update_id, payload FROM held_updates WHERE claim_id = $1 "
                "ORDER BY sequence LIMIT 1",
                claim_id,
            )
            if row is None:
                return
            try:
                update = parse_adjuster_update(row["payload"])
                outcome = await asyncio.to_thread(self.claims.try_apply, update)
            except (InvalidUpdate, ValidationError) as error:
                await self._dead_letter(row["payload"], claim_id, str(error))
                outcome = Outcome.DUPLICATE
            if outcome is Outcome.EARLY:
                return
            await self.pool.execute(
                "DELETE FROM held_updates WHERE update_id = $1", row["update_id"]
            )
            HELD.dec()
            UPDATES.labels(f"released_{outcome.value}").inc()

    async def expire_held(self) -> int:
        """Send updates held longer than `hold_for` to the DLQ; returns how many."""
        cutoff = self.clock() - self.hold_for
        rows = await self.pool.fetch(
            "SELECT update_id, claim_id, sequence, payload FROM held_updates WHERE held_at < $1 "
            "ORDER BY claim_id, sequence",
            cutoff,
        )
        for row in rows:
            claim = await asyncio.to_thread(self.claims.claim, row["claim_id"])
            expected = (claim.last_sequence if claim else 0) + 1
            await self._dead_letter(
                row["payload"],
                row["claim_id"],
                f"sequence {row['sequence']} held since before {cutoff.isoformat()}: an earlier "
                f"update never arrived (the claim waits for sequence {expected})",
            )
            await self.pool.execute(
                "DELETE FROM held_updates WHERE update_id = $1", row["update_id"]
            )
            EXPIRED.inc()
        HELD.set(await self.pool.fetchval("SELECT count(*) FROM held_updates"))
        return len(rows)

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
