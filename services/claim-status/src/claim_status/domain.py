"""Accident claims and the rules adjusters' updates must follow. Pure: no I/O.

A claim's state is a plain document folded from its updates by `evolve`; the Claim aggregate and
the customer read model fold the same updates with the same function, so what the customer sees is
exactly what the rules accepted. `check` says why an update may not be applied.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, get_args

import orjson
from eventsourcing.domain import Aggregate, event

from claims_shared.events.claims import (
    UPDATE_DATA,
    AdjusterUpdate,
    ClaimClosed,
    ClaimOpened,
    ClaimReopened,
    CoverageCode,
    CoverageUpdated,
    CustomerActionCompleted,
    CustomerActionRequested,
    HandlerAssigned,
    NoteAdded,
    PaymentMade,
    PaymentScheduled,
    StageChanged,
    StageCode,
    UpdateData,
)

STAGES: tuple[str, ...] = get_args(StageCode)  # in order; the contract lists them
COVERAGES: tuple[str, ...] = get_args(
    CoverageCode
)  # in the usual order: 対人・対物・人身傷害・車両
STAGE_LABELS = {
    "reported": ("事故受付", "Accident reported"),
    "handler_assigned": ("担当者決定", "Claims handler assigned"),
    "investigating": ("損害調査中", "Investigating the damage"),
    "negotiating": ("示談交渉中", "Negotiating the settlement"),
    "payment_processing": ("保険金お支払い手続中", "Preparing the payment"),
    "paid": ("保険金お支払い済", "Paid"),
    "closed": ("解決", "Resolved"),
}
COVERAGE_LABELS = {
    "bodily_injury": ("対人賠償", "Bodily injury liability"),
    "property_damage": ("対物賠償", "Property damage liability"),
    "own_vehicle": ("車両", "Own vehicle"),
    "personal_injury": ("人身傷害", "Personal injury"),
    "passenger": ("搭乗者傷害", "Passenger injury"),
}
COVERAGE_STATUS_LABELS = {
    "reviewing": ("確認中", "Being reviewed"),
    "investigating": ("損害調査中", "Investigating"),
    "agreed": ("示談成立", "Settlement agreed"),
    "paying": ("お支払い手続中", "Preparing payment"),
    "paid": ("お支払い済", "Paid"),
    "not_covered": ("お支払い対象外", "Not covered"),
}
TIMELINE_TEXT = {
    "claim_opened": ("事故のご連絡を受け付けました。", "We received your accident report."),
    "handler_assigned": ("担当者が決まりました。", "A claims handler was assigned."),
    "stage_changed": ("対応状況が「{stage}」になりました。", "The status is now '{stage}'."),
    "coverage_updated": (
        "{coverage}の状況が「{status}」になりました。",
        "{coverage}: now '{status}'.",
    ),
    "customer_action_requested": (
        "お客さまへのお願い：{description}",
        "We need from you: {description}",
    ),
    "customer_action_completed": (
        "お願いしていた「{description}」を確認しました。",
        "We received: {description}",
    ),
    "payment_scheduled": (
        "{coverage}の保険金 {amount:,}円 のお支払いを予定しています。",
        "A payment of ¥{amount:,} ({coverage}) is scheduled.",
    ),
    "payment_made": (
        "{coverage}の保険金 {amount:,}円 をお支払いしました。",
        "We paid ¥{amount:,} ({coverage}).",
    ),
    "claim_closed": ("事故の対応が完了しました。", "Your claim is resolved."),
    "claim_reopened": ("事故の対応を再開しました。", "Your claim was reopened."),
    "note_added": ("{text}", "{text}"),
}


class InvalidUpdate(ValueError):
    """An update that breaks a rule; the message is the reason operations see in the DLQ."""


class ConflictingUpdate(InvalidUpdate):
    """An update id seen before with other content: the sender reused an id, and which of the
    two it meant is for a person to decide (the DLQ), not for us to guess."""


def claim_key(claim_id: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"claims-status:claim:{claim_id}")


FUTURE_GRACE = timedelta(minutes=5)
"""How far ahead of our clock an update's occurred_at may be (clocks drift; 2099 is a mistake)."""


def check_timing(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now + FUTURE_GRACE:
        raise InvalidUpdate(f"occurred_at {occurred_at.isoformat()} is in the future")


def data_of(kind: str, stored: dict[str, Any]) -> UpdateData:
    """The typed data of an update as the event store holds it. Not validated again: it was
    validated when it was accepted (and older events must still load)."""
    return UPDATE_DATA[kind].model_construct(**stored)


def stored_data(data: UpdateData) -> dict[str, Any]:
    """What the event store keeps of an update's data: the fields the sender set, as JSON."""
    return data.model_dump(mode="json", exclude_unset=True)


def fingerprint(sequence: int, kind: str, stored: dict[str, Any]) -> int:
    """Tells a redelivered update (same fingerprint) from another one under the same id."""
    return hash((sequence, kind, orjson.dumps(stored, option=orjson.OPT_SORT_KEYS)))


def _stage_index(stage: str) -> int:
    if stage not in STAGES:
        raise InvalidUpdate(f"unknown stage {stage!r}")
    return STAGES.index(stage)


def check(state: dict[str, Any] | None, data: UpdateData) -> None:
    """Why `data` may not be applied to `state` (None: the claim does not exist yet). The
    update's shape was checked where it came in; these are the rules between updates."""
    if isinstance(data, ClaimOpened):
        if state is not None:
            raise InvalidUpdate("claim already opened")
        return
    kind = KIND_OF[type(data)]
    if state is None:
        raise InvalidUpdate(f"{kind} before claim_opened")
    if state["closed"] and not isinstance(data, ClaimReopened | NoteAdded):
        raise InvalidUpdate(f"{kind} on a closed claim (only claim_reopened may follow)")
    _check_kind(state, data)


def _check_kind(state: dict[str, Any], data: UpdateData) -> None:
    if isinstance(data, StageChanged):
        new, current = _stage_index(data.stage), _stage_index(state["stage"])
        if data.stage == "closed":
            raise InvalidUpdate("close a claim with claim_closed")
        if new < current or (new == current and data.stage != "investigating"):
            raise InvalidUpdate(f"stage may not go from {state['stage']} to {data.stage}")
    elif isinstance(data, CustomerActionRequested):
        if data.action_id in state["actions"]:
            raise InvalidUpdate(f"action {data.action_id} already requested")
    elif isinstance(data, CustomerActionCompleted):
        action = state["actions"].get(data.action_id)
        if action is None or action["completed"]:
            raise InvalidUpdate(f"no open action {data.action_id}")
    elif isinstance(data, PaymentScheduled):
        if data.payment_id in state["payments"]:
            raise InvalidUpdate(f"payment {data.payment_id} is already known (scheduled or made)")
    elif isinstance(data, ClaimReopened):
        if not state["closed"]:
            raise InvalidUpdate("claim_reopened on a claim that is not closed")
        if data.stage == "closed":
            raise InvalidUpdate("a claim is reopened at a stage before closed")


def evolve(
    state: dict[str, Any] | None,
    data: UpdateData,
    *,
    sequence: int,
    occurred_at: str,
    timeline: bool = True,
) -> dict[str, Any]:
    """The claim after one accepted update. Folds into `state` in place (no copy: a claim's
    document grows with its timeline) or makes the document for claim_opened. The Claim keeps
    no timeline (`timeline=False`): no rule reads it, and thousands of claims' timelines held
    in memory made the garbage collector's pauses the longest wait of an update."""
    claim = _opened(data) if state is None else state
    _APPLY.get(type(data), _nothing)(claim, data)
    claim["sequence"] = sequence
    claim["updated_at"] = occurred_at
    if not timeline:
        return claim
    kind = KIND_OF[type(data)]
    told = _timeline_data(kind, data)
    if isinstance(data, CustomerActionCompleted):
        told["description"] = claim["actions"][data.action_id]["description"]
    claim["timeline"].append({"type": kind, "at": occurred_at, "data": told})
    return claim


def _opened(data: UpdateData) -> dict[str, Any]:
    assert isinstance(data, ClaimOpened), "only claim_opened starts a claim"
    return {
        "customer_id": data.customer_id,
        "policy_number": data.policy_number,
        "accident_date": str(data.accident_date),
        "location": data.location,
        "summary": data.summary,
        "vehicle": data.vehicle,
        "stage": "reported",
        "handler": None,
        "coverages": {},
        "actions": {},
        "payments": {},
        "timeline": [],
        "closed": False,
        "sequence": 0,
        "updated_at": "",
    }


_TIMELINE_FIELDS = {
    "stage_changed": ("stage",),
    "coverage_updated": ("coverage", "status"),
    "customer_action_requested": ("description",),
    "payment_scheduled": ("coverage", "amount"),
    "payment_made": ("coverage", "amount"),
    "note_added": ("text",),
}


def _timeline_data(kind: str, data: UpdateData) -> dict[str, Any]:
    return {name: getattr(data, name) for name in _TIMELINE_FIELDS.get(kind, ())}


def _optional_date(value: object) -> str | None:
    return None if value is None else str(value)


def _nothing(claim: dict[str, Any], data: Any) -> None:
    """claim_opened (the document is new), note_added (timeline only)."""


def _handler_assigned(claim: dict[str, Any], data: HandlerAssigned) -> None:
    claim["handler"] = {"name": data.name, "office": data.office, "phone": data.phone}
    if STAGES.index(claim["stage"]) < 1:
        claim["stage"] = "handler_assigned"


def _stage_changed(claim: dict[str, Any], data: StageChanged) -> None:
    claim["stage"] = data.stage


def _coverage_updated(claim: dict[str, Any], data: CoverageUpdated) -> None:
    claim["coverages"][data.coverage] = data.status


def _action_requested(claim: dict[str, Any], data: CustomerActionRequested) -> None:
    claim["actions"][data.action_id] = {
        "description": data.description,
        "due_date": _optional_date(data.due_date),
        "completed": False,
    }


def _action_completed(claim: dict[str, Any], data: CustomerActionCompleted) -> None:
    claim["actions"][data.action_id]["completed"] = True


def _payment(claim: dict[str, Any], data: PaymentScheduled | PaymentMade, on: object) -> None:
    claim["payments"][data.payment_id] = {
        "coverage": data.coverage,
        "amount": data.amount,
        "status": "made" if isinstance(data, PaymentMade) else "scheduled",
        "date": _optional_date(on),
    }


def _payment_scheduled(claim: dict[str, Any], data: PaymentScheduled) -> None:
    _payment(claim, data, data.scheduled_on)


def _payment_made(claim: dict[str, Any], data: PaymentMade) -> None:
    _payment(claim, data, data.paid_on)


def _claim_closed(claim: dict[str, Any], data: ClaimClosed) -> None:
    claim.update(closed=True, stage="closed")


def _claim_reopened(claim: dict[str, Any], data: ClaimReopened) -> None:
    claim.update(closed=False, stage=data.stage)


_APPLY: dict[type[UpdateData], Callable[[dict[str, Any], Any], None]] = {
    HandlerAssigned: _handler_assigned,
    StageChanged: _stage_changed,
    CoverageUpdated: _coverage_updated,
    CustomerActionRequested: _action_requested,
    CustomerActionCompleted: _action_completed,
    PaymentScheduled: _payment_scheduled,
    PaymentMade: _payment_made,
    ClaimClosed: _claim_closed,
    ClaimReopened: _claim_reopened,
}
KIND_OF: dict[type[UpdateData], str] = {data: kind for kind, data in UPDATE_DATA.items()}


def stage_after(state: dict[str, Any] | None, data: UpdateData) -> str:
    """The stage an accepted update leads to (what `evolve` will set), without folding it."""
    if state is None:
        return "reported"
    current = str(state["stage"])
    if isinstance(data, HandlerAssigned):
        return current if STAGES.index(current) >= 1 else "handler_assigned"
    if isinstance(data, StageChanged):
        return data.stage
    if isinstance(data, ClaimClosed):
        return "closed"
    if isinstance(data, ClaimReopened):
        return data.stage
    return current


class Claim(Aggregate):
    """One accident claim. Every accepted update is one UpdateApplied event."""

    class UpdateApplied(Aggregate.Event):
        """Carries the claim id, customer and resulting stage too, so that projections and the
        relay need not load the claim. Triggered directly rather than through eventsourcing's
        @event decorator, whose argument matching was a tenth of the intake's CPU. `data` is
        what `stored_data` keeps of the typed update."""

        claim_id: str
        customer_id: str
        stage: str
        update_id: str
        sequence: int
        kind: str
        data: dict[str, Any]
        occurred_at: str

        def apply(self, aggregate: Claim) -> None:
            aggregate.state = evolve(
                aggregate.state,
                data_of(self.kind, self.data),
                sequence=self.sequence,
                occurred_at=self.occurred_at,
                timeline=False,
            )
            aggregate.applied[self.update_id] = fingerprint(self.sequence, self.kind, self.data)

    @staticmethod
    def create_id(claim_id: str) -> uuid.UUID:
        return claim_key(claim_id)

    @event("Registered")
    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        self.state: dict[str, Any] | None = None
        self.applied: dict[str, int] = {}  # update id -> fingerprint of what it said

    @property
    def last_sequence(self) -> int:
        return 0 if self.state is None else int(self.state["sequence"])

    def seen(self, update: AdjusterUpdate) -> bool:
        """Whether this update was applied already; raises ConflictingUpdate when its id was
        applied with other content."""
        known = self.applied.get(str(update.update_id))
        if known is None:
            return False
        if known != fingerprint(update.sequence, update.type, stored_data(update.data)):
            raise ConflictingUpdate(
                f"update_id {update.update_id} was already applied with other content"
            )
        return True

    def apply_update(self, update: AdjusterUpdate) -> None:
        if update.sequence != self.last_sequence + 1:
            raise InvalidUpdate(
                f"sequence {update.sequence} is not next ({self.last_sequence + 1})"
            )
        data = update.data
        check(self.state, data)
        customer_id = (
            data.customer_id
            if isinstance(data, ClaimOpened)
            else str(self.state["customer_id"] if self.state else "")
        )
        self.trigger_event(
            self.UpdateApplied,
            claim_id=self.claim_id,
            customer_id=customer_id,
            stage=stage_after(self.state, data),
            update_id=str(update.update_id),
            sequence=update.sequence,
            kind=update.type,
            data=stored_data(data),
            occurred_at=update.occurred_at.isoformat(),
        )
