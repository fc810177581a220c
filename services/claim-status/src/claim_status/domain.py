"""Accident claims and the rules adjusters' updates must follow. Pure: no I/O.

A claim's state is a plain document folded from its updates by `evolve`; the Claim aggregate and
the customer read model fold the same updates with the same function, so what the customer sees is
exactly what the rules accepted. `check` says why an update may not be applied.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, get_args

from eventsourcing.domain import Aggregate, event

from claims_shared.events.claims import StageCode

STAGES: tuple[str, ...] = get_args(StageCode)  # in order; the contract lists them
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


def claim_key(claim_id: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"claims-status:claim:{claim_id}")


def _require(data: dict[str, Any], *fields: str) -> None:
    missing = [f for f in fields if data.get(f) in (None, "")]
    if missing:
        raise InvalidUpdate(f"missing {', '.join(missing)}")


def _stage_index(stage: str) -> int:
    if stage not in STAGES:
        raise InvalidUpdate(f"unknown stage {stage!r}")
    return STAGES.index(stage)


def check(state: dict[str, Any] | None, kind: str, data: dict[str, Any]) -> None:
    """Why `kind` may not be applied to `state` (None: the claim does not exist yet)."""
    if kind == "claim_opened":
        if state is not None:
            raise InvalidUpdate("claim already opened")
        _require(data, "customer_id", "policy_number", "accident_date", "summary")
        try:
            date.fromisoformat(str(data["accident_date"]))
        except ValueError as error:
            raise InvalidUpdate("accident_date is not YYYY-MM-DD") from error
        return
    if state is None:
        raise InvalidUpdate(f"{kind} before claim_opened")
    if state["closed"] and kind not in ("claim_reopened", "note_added"):
        raise InvalidUpdate(f"{kind} on a closed claim (only claim_reopened may follow)")
    _check_kind(state, kind, data)


def _check_kind(state: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    if kind == "handler_assigned":
        _require(data, "name", "office", "phone")
    elif kind == "stage_changed":
        _require(data, "stage")
        new, current = _stage_index(data["stage"]), _stage_index(state["stage"])
        if data["stage"] == "closed":
            raise InvalidUpdate("close a claim with claim_closed")
        if new < current or (new == current and data["stage"] != "investigating"):
            raise InvalidUpdate(f"stage may not go from {state['stage']} to {data['stage']}")
    elif kind == "coverage_updated":
        _require(data, "coverage", "status")
        if data["coverage"] not in COVERAGE_LABELS:
            raise InvalidUpdate(f"unknown coverage {data['coverage']!r}")
        if data["status"] not in COVERAGE_STATUS_LABELS:
            raise InvalidUpdate(f"unknown coverage status {data['status']!r}")
    elif kind == "customer_action_requested":
        _require(data, "action_id", "description")
        if data["action_id"] in state["actions"]:
            raise InvalidUpdate(f"action {data['action_id']} already requested")
    elif kind == "customer_action_completed":
        _require(data, "action_id")
        action = state["actions"].get(data["action_id"])
        if action is None or action["completed"]:
            raise InvalidUpdate(f"no open action {data['action_id']}")
    elif kind in ("payment_scheduled", "payment_made"):
        _check_payment(state, kind, data)
    elif kind == "claim_closed":
        pass
    elif kind == "claim_reopened":
        if not state["closed"]:
            raise InvalidUpdate("claim_reopened on a claim that is not closed")
    elif kind == "note_added":
        _require(data, "text")
    else:
        raise InvalidUpdate(f"unknown update type {kind!r}")


def _check_payment(state: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
    _require(data, "payment_id", "coverage", "amount")
    if data["coverage"] not in COVERAGE_LABELS:
        raise InvalidUpdate(f"unknown coverage {data['coverage']!r}")
    if not isinstance(data["amount"], int) or data["amount"] <= 0:
        raise InvalidUpdate("amount must be a positive whole number of yen")
    if kind == "payment_scheduled" and data["payment_id"] in state["payments"]:
        raise InvalidUpdate(f"payment {data['payment_id']} already scheduled")


def evolve(
    state: dict[str, Any] | None,
    kind: str,
    data: dict[str, Any],
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
    _APPLY.get(kind, lambda c, d: None)(claim, data)
    claim["sequence"] = sequence
    claim["updated_at"] = occurred_at
    if not timeline:
        return claim
    told = _timeline_data(kind, data)
    if kind == "customer_action_completed":
        told["description"] = claim["actions"][data["action_id"]]["description"]
    claim["timeline"].append({"type": kind, "at": occurred_at, "data": told})
    return claim


def _opened(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer_id": data["customer_id"],
        "policy_number": data["policy_number"],
        "accident_date": str(data["accident_date"]),
        "location": data.get("location", ""),
        "summary": data["summary"],
        "vehicle": data.get("vehicle", ""),
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


def _timeline_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    keep = {
        "stage_changed": ("stage",),
        "coverage_updated": ("coverage", "status"),
        "customer_action_requested": ("description",),
        "payment_scheduled": ("coverage", "amount"),
        "payment_made": ("coverage", "amount"),
        "note_added": ("text",),
    }
    return {k: data[k] for k in keep.get(kind, ()) if k in data}


_APPLY: dict[str, Any] = {
    "handler_assigned": lambda c, d: c.update(
        handler={"name": d["name"], "office": d["office"], "phone": d["phone"]},
        stage=c["stage"] if STAGES.index(c["stage"]) >= 1 else "handler_assigned",
    ),
    "stage_changed": lambda c, d: c.update(stage=d["stage"]),
    "coverage_updated": lambda c, d: c["coverages"].update({d["coverage"]: d["status"]}),
    "customer_action_requested": lambda c, d: c["actions"].update(
        {
            d["action_id"]: {
                "description": d["description"],
                "due_date": d.get("due_date"),
                "completed": False,
            }
        }
    ),
    "customer_action_completed": lambda c, d: c["actions"][d["action_id"]].update(completed=True),
    "payment_scheduled": lambda c, d: c["payments"].update(
        {
            d["payment_id"]: {
                "coverage": d["coverage"],
                "amount": d["amount"],
                "status": "scheduled",
                "date": d.get("scheduled_on"),
            }
        }
    ),
    "payment_made": lambda c, d: c["payments"].update(
        {
            d["payment_id"]: {
                "coverage": d["coverage"],
                "amount": d["amount"],
                "status": "made",
                "date": d.get("paid_on"),
            }
        }
    ),
    "claim_closed": lambda c, d: c.update(closed=True, stage="closed"),
    "claim_reopened": lambda c, d: c.update(closed=False, stage=d.get("stage", "investigating")),
}


def stage_after(state: dict[str, Any] | None, kind: str, data: dict[str, Any]) -> str:
    """The stage an accepted update leads to (what `evolve` will set), without folding it."""
    if state is None:
        return "reported"
    current = str(state["stage"])
    if kind == "handler_assigned":
        return current if STAGES.index(current) >= 1 else "handler_assigned"
    if kind == "stage_changed":
        return str(data["stage"])
    if kind == "claim_closed":
        return "closed"
    if kind == "claim_reopened":
        return str(data.get("stage", "investigating"))
    return current


class Claim(Aggregate):
    """One accident claim. Every accepted update is one UpdateApplied event."""

    class UpdateApplied(Aggregate.Event):
        """Carries the claim id, customer and resulting stage too, so that projections and the
        relay need not load the claim. Triggered directly rather than through eventsourcing's
        @event decorator, whose argument matching was a tenth of the intake's CPU."""

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
                self.kind,
                self.data,
                sequence=self.sequence,
                occurred_at=self.occurred_at,
                timeline=False,
            )
            aggregate.applied.add(self.update_id)

    @staticmethod
    def create_id(claim_id: str) -> uuid.UUID:
        return claim_key(claim_id)

    @event("Registered")
    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        self.state: dict[str, Any] | None = None
        self.applied: set[str] = set()

    @property
    def last_sequence(self) -> int:
        return 0 if self.state is None else int(self.state["sequence"])

    def apply_update(
        self, update_id: str, sequence: int, kind: str, data: dict[str, Any], occurred_at: str
    ) -> None:
        if sequence != self.last_sequence + 1:
            raise InvalidUpdate(f"sequence {sequence} is not next ({self.last_sequence + 1})")
        check(self.state, kind, data)
        customer_id = data["customer_id"] if self.state is None else self.state["customer_id"]
        self.trigger_event(
            self.UpdateApplied,
            claim_id=self.claim_id,
            customer_id=customer_id,
            stage=stage_after(self.state, kind, data),
            update_id=update_id,
            sequence=sequence,
            kind=kind,
            data=data,
            occurred_at=occurred_at,
        )
