"""What the customer API reads: their own accidents only. Whose claim it is is a filter on the
customer id from the token, so a foreign claim and a missing one are the same 404."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import asyncpg
import orjson
from pydantic import TypeAdapter

from claim_status.domain import (
    COVERAGE_LABELS,
    COVERAGE_STATUS_LABELS,
    COVERAGES,
    STAGE_LABELS,
    STAGES,
    TIMELINE_TEXT,
)
from claim_status.read_model import Accidents
from claims_shared.events.fields import ClaimId

REACHES = {
    "claim_opened": "reported",
    "handler_assigned": "handler_assigned",
    "claim_closed": "closed",
}
"""The stage a timeline entry of these types shows was reached (stage_changed names its own)."""


def _label(labels: dict[str, tuple[str, str]], code: str, language: str) -> str:
    ja, en = labels.get(code, (code, code))
    return en if language == "en" else ja


def encode_cursor(accident_date: str, claim_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([accident_date, claim_id]).encode()).decode()


CLAIM_ID: TypeAdapter[str] = TypeAdapter(ClaimId)


def decode_cursor(cursor: str) -> tuple[date, str]:
    """Raises ValueError (or TypeError) for anything but a cursor this API handed out: it comes
    back from the client, so its claim id is checked like any claim id (a NUL inside one was a
    500 from the database)."""
    accident_date, claim_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return date.fromisoformat(accident_date), CLAIM_ID.validate_python(claim_id)


class AccidentQueries:
    def __init__(self, pool: asyncpg.Pool, read_model: Accidents) -> None:
        self.pool = pool
        self.read_model = read_model

    async def list_for(
        self, customer_id: str, limit: int, cursor: tuple[date, str] | None, language: str
    ) -> tuple[list[dict[str, Any]], str | None]:
        table = self.read_model.table
        if cursor is None:
            rows = await self.pool.fetch(
                f"SELECT claim_id, detail FROM {table} WHERE customer_id = $1 "
                "ORDER BY accident_date DESC, claim_id DESC LIMIT $2",
                customer_id,
                limit + 1,
            )
        else:
            rows = await self.pool.fetch(
                f"SELECT claim_id, detail FROM {table} WHERE customer_id = $1 "
                "AND (accident_date, claim_id) < ($2, $3) "
                "ORDER BY accident_date DESC, claim_id DESC LIMIT $4",
                customer_id,
                cursor[0],
                cursor[1],
                limit + 1,
            )
        items = [
            summary(row["claim_id"], orjson.loads(row["detail"]), language) for row in rows[:limit]
        ]
        more = len(rows) > limit
        next_cursor = (
            encode_cursor(items[-1]["accident_date"], items[-1]["claim_id"]) if more else None
        )
        return items, next_cursor

    async def detail_for(
        self, customer_id: str, claim_id: str, language: str
    ) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(
            f"SELECT detail FROM {self.read_model.table} WHERE claim_id = $1 AND customer_id = $2",
            claim_id,
            customer_id,
        )
        return detail(claim_id, orjson.loads(row["detail"]), language) if row else None


def summary(claim_id: str, claim: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "accident_date": claim["accident_date"],
        "summary": claim["summary"],
        "vehicle": claim["vehicle"],
        "stage": {"code": claim["stage"], "label": _label(STAGE_LABELS, claim["stage"], language)},
        "updated_at": claim["updated_at"],
        "handler": claim["handler"],
    }


def detail(claim_id: str, claim: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        **summary(claim_id, claim, language),
        "location": claim["location"],
        "policy_number": claim["policy_number"],
        "stages": stages(claim, language),
        "timeline": [_timeline_entry(entry, language) for entry in reversed(claim["timeline"])],
        "coverages": [
            {
                "code": code,
                "label": _label(COVERAGE_LABELS, code, language),
                "status": {
                    "code": status,
                    "label": _label(COVERAGE_STATUS_LABELS, status, language),
                },
            }
            for code, status in coverage_statuses(claim)
        ],
        "customer_actions": [
            {
                "action_id": action_id,
                "description": action["description"],
                "due_date": action["due_date"],
            }
            for action_id, action in claim["actions"].items()
            if not action["completed"]
        ],
        "payments": [
            {
                "payment_id": payment_id,
                "coverage": payment["coverage"],
                "coverage_label": _label(COVERAGE_LABELS, payment["coverage"], language),
                "amount": payment["amount"],
                "status": payment["status"],
                "date": payment["date"],
            }
            for payment_id, payment in claim["payments"].items()
        ],
    }


def stages(claim: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Every stage with what happened to it, so the customer is not told a stage the claim went
    past without (示談交渉中 when it went straight to payment) was done: a stage before the
    current one is done if the timeline shows it was reached, skipped if not; after it,
    upcoming (even one reached before the claim was closed and reopened)."""
    reached = {REACHES.get(entry["type"]) for entry in claim["timeline"]}
    reached |= {
        entry["data"].get("stage")
        for entry in claim["timeline"]
        if entry["type"] == "stage_changed"
    }
    current = STAGES.index(claim["stage"]) if claim["stage"] in STAGES else -1
    steps = []
    for index, code in enumerate(STAGES):
        if index == current:
            state = "current"
        elif index > current:
            state = "upcoming"
        else:
            state = "done" if code in reached else "skipped"
        steps.append({"code": code, "label": _label(STAGE_LABELS, code, language), "state": state})
    return steps


def coverage_statuses(claim: dict[str, Any]) -> list[tuple[str, str]]:
    """Each coverage's status as its payments bear it out, in the usual order.

    Adjusters send a coverage's status and its payments as separate updates, so one can lag
    the other. Told "paying" when every payment of the coverage has been made, the customer
    sees お支払い手続中 beside お支払い済: it is shown paid. Told "paid" while a payment of it
    is still only scheduled, it is shown paying: money is still to come. A coverage without
    payments, or in any other status, is shown as the adjuster set it."""
    payments = list(claim["payments"].values())
    shown = []
    for code, status in claim["coverages"].items():
        theirs = [payment["status"] for payment in payments if payment["coverage"] == code]
        if status == "paying" and theirs and all(state == "made" for state in theirs):
            status = "paid"
        elif status == "paid" and "scheduled" in theirs:
            status = "paying"
        shown.append((code, status))
    return sorted(shown, key=lambda coverage: _coverage_rank(coverage[0]))


def _coverage_rank(code: str) -> tuple[int, str]:
    """The contract's order (対人・対物・人身傷害・車両, then 搭乗者傷害); a code stored before the
    contract knew it comes last."""
    known = code in COVERAGES
    return (COVERAGES.index(code) if known else len(COVERAGES), code)


def _timeline_entry(entry: dict[str, Any], language: str) -> dict[str, Any]:
    ja, en = TIMELINE_TEXT.get(entry["type"], ("", ""))
    data = dict(entry["data"])
    if "stage" in data:
        data["stage"] = _label(STAGE_LABELS, data["stage"], language)
    if "coverage" in data:
        data["coverage"] = _label(COVERAGE_LABELS, data["coverage"], language)
    if "status" in data:
        data["status"] = _label(COVERAGE_STATUS_LABELS, data["status"], language)
    data.setdefault("description", "")
    text = (en if language == "en" else ja).format_map(_Defaults(data))
    return {"type": entry["type"], "at": entry["at"], "text": text}


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""
