"""Taking adjusters' updates into claims: once each, in sequence order per claim. Synchronous
(eventsourcing is); the intake calls it through asyncio.to_thread."""

from __future__ import annotations

import contextlib
import enum
import threading
import uuid
from collections.abc import Mapping
from typing import cast

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from claim_status.domain import Claim, InvalidUpdate, claim_key
from claims_shared.events import AdjusterUpdate
from claims_shared.follow import RecentlyRecorded


class Outcome(enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    EARLY = "early"  # a gap before it: hold it until the gap is filled


class Claims(RecentlyRecorded, Application[uuid.UUID]):
    """Claims are written by one process at a time per claim (the Kafka partition's owner, and
    the adjuster API beside it): cached claims are used as they are, without re-reading the
    store or copying them. Another writer's save shows up as a version conflict on ours; the
    batch's claims are then dropped from the cache and the batch decides again from the store."""

    name = "Claims"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env={"AGGREGATE_CACHE_FASTFORWARD": "n", **(env or {})})
        self._writing = threading.Lock()  # the API's thread and the consumer's share the cache

    def claim(self, claim_id: str) -> Claim | None:
        try:
            claim: Claim = self.repository.get(claim_key(claim_id), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return claim

    def try_apply(self, update: AdjusterUpdate) -> Outcome:
        """Apply `update` if it is the claim's next one. Raises InvalidUpdate for one that
        breaks a rule."""
        outcome = self.try_apply_many([update])[0]
        if isinstance(outcome, InvalidUpdate):
            raise outcome
        return outcome

    def try_apply_many(self, updates: list[AdjusterUpdate]) -> list[Outcome | InvalidUpdate]:
        """Apply a batch in order and save every changed claim in one transaction (the event
        store serialises writers, so throughput comes from doing more per transaction). A
        second writer on one of the claims makes the whole batch decide again.

        The first attempt takes claim_opened of a claim not in the cache as new without asking
        the store (a tenth of all updates, each a round trip): if the claim does exist, saving
        version 1 again fails on the store's unique key and the batch decides again, asking."""
        for attempt in range(3):
            try:
                with self._writing:
                    return self._apply_many(updates, trust_openings=attempt == 0)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _forget(self, claim_ids: set[str]) -> None:
        """Drop claims changed in memory but not saved: the next read is from the store."""
        if self.repository.cache is None:
            return
        for claim_id in claim_ids:
            with contextlib.suppress(KeyError):
                self.repository.cache.get(claim_key(claim_id), evict=True)

    def _cached(self, claim_id: str) -> Claim | None:
        if self.repository.cache is None:
            return None
        try:
            return cast(Claim, self.repository.cache.get(claim_key(claim_id)))
        except KeyError:
            return None

    def _apply_many(
        self, updates: list[AdjusterUpdate], trust_openings: bool
    ) -> list[Outcome | InvalidUpdate]:
        loaded: dict[str, Claim | None] = {}
        changed: dict[str, Claim] = {}
        outcomes: list[Outcome | InvalidUpdate] = []
        for update in updates:
            if update.claim_id not in loaded:
                opening = trust_openings and update.type == "claim_opened"
                loaded[update.claim_id] = (
                    self._cached(update.claim_id) if opening else self.claim(update.claim_id)
                )
            try:
                outcome, claim = _apply(loaded[update.claim_id], update)
                if outcome is Outcome.EARLY and update.claim_id not in changed:
                    # A gap, or a cached claim another process moved on since (a partition that
                    # came back after a rebalance): decide again from the store before holding.
                    self._forget({update.claim_id})
                    loaded[update.claim_id] = self.claim(update.claim_id)
                    outcome, claim = _apply(loaded[update.claim_id], update)
            except InvalidUpdate as error:
                outcomes.append(error)
                continue
            if outcome is Outcome.APPLIED and claim is not None:
                loaded[update.claim_id] = changed[update.claim_id] = claim
            outcomes.append(outcome)
        if changed:
            try:
                self.save(*changed.values())
            except BaseException:
                self._forget(set(changed))
                raise
        return outcomes


def _apply(claim: Claim | None, update: AdjusterUpdate) -> tuple[Outcome, Claim | None]:
    if claim is not None and claim.seen(update):
        return Outcome.DUPLICATE, claim
    last = claim.last_sequence if claim is not None else 0
    if update.sequence <= last:
        raise InvalidUpdate(f"sequence {update.sequence} was already used by another update")
    if update.sequence > last + 1:
        return Outcome.EARLY, claim
    if claim is None:
        claim = Claim(update.claim_id)
    claim.apply_update(update)
    return Outcome.APPLIED, claim
