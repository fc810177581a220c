"""Taking adjusters' updates into claims: once each, in sequence order per claim. Synchronous
(eventsourcing is); the intake calls it through asyncio.to_thread."""

from __future__ import annotations

import enum
import uuid

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from claim_status.domain import Claim, InvalidUpdate, claim_key
from claims_shared.events import AdjusterUpdate


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    EARLY = "early"  # a gap before it: hold it until the gap is filled


class Claims(Application[uuid.UUID]):
    name = "Claims"

    def claim(self, claim_id: str) -> Claim | None:
        try:
            claim: Claim = self.repository.get(claim_key(claim_id))
        except AggregateNotFoundError:
            return None
        return claim

    def try_apply(self, update: AdjusterUpdate) -> Outcome:
        """Apply `update` if it is the claim's next one. Raises InvalidUpdate for one that
        breaks a rule; a second writer on the same claim makes it decide again."""
        for attempt in range(3):
            try:
                return self._try_apply(update)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _try_apply(self, update: AdjusterUpdate) -> Outcome:
        claim = self.claim(update.claim_id)
        if claim is not None and str(update.update_id) in claim.applied:
            return Outcome.DUPLICATE
        last = claim.last_sequence if claim is not None else 0
        if update.sequence <= last:
            raise InvalidUpdate(f"sequence {update.sequence} was already used by another update")
        if update.sequence > last + 1:
            return Outcome.EARLY
        if claim is None:
            claim = Claim(update.claim_id)
        claim.apply_update(
            str(update.update_id),
            update.sequence,
            update.type,
            update.data,
            update.occurred_at.isoformat(),
        )
        self.save(claim)
        return Outcome.APPLIED
