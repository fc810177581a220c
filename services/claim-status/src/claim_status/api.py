"""claim-status's HTTP API: the customer's accidents, and the adjusters' update endpoint."""

from __future__ import annotations

import binascii
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from claim_status.domain import InvalidUpdate
from claim_status.intake import UpdateIntake
from claim_status.queries import AccidentQueries, decode_cursor
from claims_shared.auth import Principal, current_customer, staff_with_role
from claims_shared.errors import ApiError, Message, request_language
from claims_shared.events.claims import AnyAdjusterUpdate
from claims_shared.web import outside_maintenance

NOT_FOUND = Message("該当する事故が見つかりません。", "No such accident.")
BAD_CURSOR = Message("ページの指定が正しくありません。", "The page cursor is not valid.")
INVALID_UPDATE = Message("この更新は受け付けられません。", "This update cannot be applied.")
WRONG_CLAIM = Message(
    "URLと本文の事故番号が一致しません。", "The claim id in the path and in the body differ."
)


class Handler(BaseModel):
    name: str
    office: str
    phone: str


class Stage(BaseModel):
    code: str
    label: str


class AccidentSummary(BaseModel):
    claim_id: str
    accident_date: str
    summary: str
    vehicle: str
    stage: Stage
    updated_at: str
    handler: Handler | None


class AccidentList(BaseModel):
    items: list[AccidentSummary]
    next_cursor: str | None


class StageStep(BaseModel):
    """One stage of the progress indicator, so the web front never guesses what happened."""

    code: str
    label: str
    state: Literal["done", "current", "skipped", "upcoming"] = Field(
        description="done: reached; skipped: the claim went past it without it; "
        "current; upcoming (also a stage reached before the claim was reopened)"
    )


class TimelineEntry(BaseModel):
    type: str
    at: str
    text: str


class Coverage(BaseModel):
    code: str
    label: str
    status: Stage = Field(description="as its payments bear it out (all made: paid)")


class CustomerAction(BaseModel):
    action_id: str
    description: str
    due_date: str | None


class Payment(BaseModel):
    payment_id: str
    coverage: str
    coverage_label: str
    amount: int
    status: str = Field(description="scheduled or made")
    date: str | None


class AccidentDetail(AccidentSummary):
    location: str
    policy_number: str
    stages: list[StageStep] = Field(description="every stage in order, with its state")
    timeline: list[TimelineEntry] = Field(description="newest first")
    coverages: list[Coverage] = Field(description="対人・対物・人身傷害・車両, then the rest")
    customer_actions: list[CustomerAction] = Field(description="the open ones")
    payments: list[Payment]


class Received(BaseModel):
    outcome: str = Field(description="applied, duplicate, or held (waiting for an earlier update)")


def _queries(request: Request) -> AccidentQueries:
    queries: AccidentQueries = request.app.state.queries
    return queries


customer_router = APIRouter(
    prefix="/api/v1/me", tags=["customers"], dependencies=[Depends(outside_maintenance)]
)
adjuster_router = APIRouter(prefix="/api/v1/adjuster", tags=["adjusters"])


@customer_router.get(
    "/accidents",
    response_model=AccidentList,
    responses={
        401: {"description": "not logged in"},
        403: {"description": "not a customer session"},
    },
)
async def list_accidents(
    request: Request,
    customer: Annotated[Principal, Depends(current_customer)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> dict[str, Any]:
    try:
        position = decode_cursor(cursor) if cursor else None
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as error:
        raise ApiError(400, "invalid_cursor", BAD_CURSOR) from error
    assert customer.customer_id is not None
    items, next_cursor = await _queries(request).list_for(
        customer.customer_id, limit, position, request_language(request)
    )
    return {"items": items, "next_cursor": next_cursor}


@customer_router.get(
    "/accidents/{claim_id}",
    response_model=AccidentDetail,
    responses={
        401: {"description": "not logged in"},
        403: {"description": "not a customer session"},
        404: {"description": "no such accident of this customer"},
    },
)
async def accident_detail(
    claim_id: Annotated[str, Field(max_length=100)],
    request: Request,
    customer: Annotated[Principal, Depends(current_customer)],
) -> dict[str, Any]:
    assert customer.customer_id is not None
    found = await _queries(request).detail_for(
        customer.customer_id, claim_id, request_language(request)
    )
    if found is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return found


@adjuster_router.post(
    "/claims/{claim_id}/updates",
    status_code=202,
    response_model=Received,
    responses={
        401: {"description": "not logged in"},
        403: {"description": "not an adjuster"},
        422: {"description": "the update breaks a rule"},
    },
)
async def receive_update(
    claim_id: str,
    update: AnyAdjusterUpdate,
    request: Request,
    adjuster: Annotated[Principal, Depends(staff_with_role("adjuster"))],
) -> Received:
    """The same AdjusterUpdate as on claims.adjuster-updates, through the same handler."""
    if update.claim_id != claim_id:
        raise ApiError(422, "claim_id_mismatch", WRONG_CLAIM)
    intake: UpdateIntake = request.app.state.intake
    try:
        outcome = await intake.receive(update)
    except InvalidUpdate as error:
        raise ApiError(
            422,
            "invalid_update",
            Message(f"{INVALID_UPDATE.ja}（{error}）", f"{INVALID_UPDATE.en} ({error})"),
        ) from error
    return Received(outcome=outcome if isinstance(outcome, str) else outcome.value)
