"""claim-status's HTTP API: the customer's accidents, and the adjusters' update endpoint."""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from claim_status.correspondence import Correspondence
from claim_status.domain import InvalidUpdate
from claim_status.history import as_utc, parse_as_of
from claim_status.intake import ClaimUpdateService
from claim_status.payment_views import (
    BreakdownLine,
    Payee,
    PaymentDeadline,
    PaymentTotals,
)
from claim_status.queries import ClaimQueries, decode_cursor
from claims_shared.auth import (
    CHANGE_PASSWORD_FIRST,
    NOT_ALLOWED,
    NOT_SIGNED_IN,
    TOKEN_VERIFIER,
    Principal,
    TokenVerifier,
    bearer_token,
    current_customer,
    staff_with_role,
)
from claims_shared.errors import ErrorTable, Message, Refusal, RefusalFrom, request_language
from claims_shared.events.claims import AnyAdjusterUpdate
from claims_shared.web import (
    Wired,
    outside_maintenance,
    request_time,
)

NOT_FOUND = Message("該当する事故が見つかりません。", "No such accident.")
BAD_CURSOR = Message("ページの指定が正しくありません。", "The page cursor is not valid.")
INVALID_UPDATE = Message("この更新は受け付けられません。", "This update cannot be applied.")
WRONG_CLAIM = Message(
    "URLと本文の事故番号が一致しません。", "The claim id in the path and in the body differ."
)

ACCIDENT_NOT_FOUND = Refusal(404, "not_found", NOT_FOUND)
"""Not a claim of this customer's, for every route under /accidents/{claim_id}."""
INVALID_CURSOR = Refusal(400, "invalid_cursor", BAD_CURSOR)
CLAIM_ID_MISMATCH = Refusal(422, "claim_id_mismatch", WRONG_CLAIM)
INVALID_AS_OF = Refusal(
    422,
    "invalid_as_of",
    Message(
        "日付（例：2026-11-02）または日時（例：2026-11-02T15:30）を指定してください。",
        "Give a date (e.g. 2026-11-02) or a date and time (e.g. 2026-11-02T15:30).",
    ),
)
"""`?as_of=` that names no moment."""


def claim_closed(what_ja: str, what_en: str) -> Refusal:
    """409 `claim_closed`: a resolved claim takes nothing more from the customer (書類,
    メッセージ: `what_ja` / `what_en`)."""
    return Refusal(
        409,
        "claim_closed",
        Message(
            f"この事故の対応は完了しているため、{what_ja}は送れません。"
            "お問い合わせは事故担当者へお電話ください。",
            f"This claim is resolved, so {what_en} can no longer be sent. "
            "Please call your claims handler.",
        ),
    )


def sent_too_often(code: str, what_ja: str, what_en: str) -> Refusal:
    """429 `code`: the customer's hourly allowance of `what_ja` / `what_en` is used up."""
    return Refusal(
        429,
        code,
        Message(
            f"短い時間に多くの{what_ja}が送られました。しばらくしてからお送りください。",
            f"You have sent many {what_en} in a short time. Please send this one later.",
        ),
    )


def customer_routes() -> APIRouter:
    """A router for the signed-in customer's routes (/api/v1/me), closed in maintenance."""
    return APIRouter(
        prefix="/api/v1/me", tags=["customers"], dependencies=[Depends(outside_maintenance)]
    )


def _invalid_update_words(error: InvalidUpdate) -> tuple[str, Message]:
    """The rule the update breaks, as the domain told it, after the fixed sentence."""
    return "invalid_update", Message(
        f"{INVALID_UPDATE.ja}（{error}）", f"{INVALID_UPDATE.en} ({error})"
    )


ERRORS = ErrorTable(
    {
        InvalidUpdate: RefusalFrom(
            422,
            "`invalid_update`: the update breaks a rule, named in the message",
            _invalid_update_words,
        ),
    }
)
"""claim-status's refusals, installed by claim_status.main through the app factory."""

QUERIES = Wired[ClaimQueries]("queries")
INTAKE = Wired[ClaimUpdateService]("intake")
CORRESPONDENCE = Wired[Correspondence]("correspondence")
Adjuster = Annotated[Principal, Depends(staff_with_role("adjuster"))]
Queries = Annotated[ClaimQueries, Depends(QUERIES)]
ClaimId = Annotated[str, Field(max_length=100)]
"""An accident's id in a route's path, as the customer's pages and the adjusters name it."""


@dataclass(frozen=True, slots=True)
class CustomerRead:
    """A signed-in customer reading their accidents: whose, in which language, at which instant
    (the request's time, as the maintenance check read it), through which queries."""

    customer_id: str
    language: str
    now: datetime
    queries: ClaimQueries


async def _customer_read(
    request: Request, verifier: Annotated[TokenVerifier, Depends(TOKEN_VERIFIER)]
) -> CustomerRead:
    """What `CustomerId`, `Queries`, `Language` and `Now` give, in two dependencies instead of
    eight (the customer's id alone is five: id, customer, principal, bearer, verifier): the same
    checks in the same order (no token 401, an invalid one 401, a must-change-password token
    403, staff 403), through claims_shared.auth's own functions. At some 10 µs of CPU each per
    request, FastAPI's dependencies cost the accident list more than its JSON (issue 19). The
    verifier stays a dependency of its own: it is how the published API document
    (devinfra.openapi) knows the route takes a bearer token."""
    customer = await current_customer(await verifier.verified(await bearer_token(request)))
    assert customer.customer_id is not None  # current_customer guarantees it
    return CustomerRead(
        customer.customer_id, request_language(request), request_time(request), QUERIES.of(request)
    )


Reader = Annotated[CustomerRead, Depends(_customer_read)]


def _json(view: Mapping[str, object]) -> Response:
    """A view presentation.py shaped as the route's response_model, as its JSON, without
    FastAPI validating it against the model and serialising it again (25-35 µs of CPU for a
    list of ten, more for a long detail, on data this service shaped itself): the views are
    TypedDicts with exactly the models' fields in the models' order, so orjson writes the bytes
    pydantic would (tests/fast/test_read_json_fast.py compares them on rich claims in both
    languages). The decorator keeps response_model for the published schema."""
    return Response(orjson.dumps(view), media_type="application/json")


class Handler(BaseModel):
    name: str
    office: str
    phone: str


class Stage(BaseModel):
    code: str
    label: str


class AccidentSummary(BaseModel):
    claim_id: str
    claim_number: str = Field(
        description="the accident's number (事故受付番号) to quote on the phone; the claim id "
        "when the claims system gave none"
    )
    policy_number: str
    accident_date: str
    summary: str
    vehicle: str
    stage: Stage
    updated_at: str
    handler: Handler | None
    open_requests: int = Field(
        description="requests waiting for the customer (ご対応のお願い): not answered yet, or to "
        "send again"
    )


class AccidentListItem(AccidentSummary):
    unread_messages: int = Field(description="the handler's messages the customer has not read")


class AccidentList(BaseModel):
    items: list[AccidentListItem]
    next_cursor: str | None
    as_of: str = Field(description="the moment the list reflects: the time of the read")


class StageStep(BaseModel):
    """One stage of the progress indicator, so the web front never guesses what happened."""

    code: str
    label: str
    state: Literal["done", "current", "skipped", "upcoming"] = Field(
        description="done: reached; skipped: the claim went past it without it; "
        "current; upcoming (also a stage reached before the claim was reopened)"
    )
    reached_at: str | None = Field(
        description="when the claim reached it (done and current stages; the latest reaching "
        "after a reopening)"
    )
    skipped: bool = Field(description="a stage before the current one never reached")
    typical_days: int | None = Field(
        description="the current stage only: the median days in it over recently closed "
        "claims, a typical figure (通常◯日程度), never a promise; null when too few claims "
        "back it"
    )


class TimelineEntry(BaseModel):
    type: str
    at: str
    text: str


class Coverage(BaseModel):
    code: str
    label: str
    status: Stage = Field(description="as its payments bear it out (all made: paid)")
    payment_deadline: PaymentDeadline | None = Field(
        description="this coverage's (its own extensions too); null once paid or not covered, "
        "or before the claim is complete"
    )


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
    payee: Payee | None = Field(description="where it goes, the account masked")
    breakdown: list[BreakdownLine] = Field(description="what it is made of; empty when not sent")


class SentDocument(BaseModel):
    document_id: str
    action_id: str | None = Field(description="the request it was sent for, if any")
    file_name: str
    content_type: str
    size_bytes: int
    submitted_at: str
    state: Stage = Field(
        description="received 受付済み, accepted 確認済み, resubmit 再提出のお願い"
    )
    reason: str | None = Field(description="why the handler asks for it again")


class CustomerRequest(BaseModel):
    action_id: str
    description: str
    due_date: str | None
    state: Stage = Field(
        description="requested お願い中, submitted 提出済み（確認待ち）, accepted 確認済み, "
        "resubmit 再提出のお願い"
    )
    reason: str | None = Field(description="why the handler asks for a document again")
    documents: list[SentDocument] = Field(description="sent for it, oldest first")


class AccidentDetail(AccidentSummary):
    location: str
    stages: list[StageStep] = Field(description="every stage in order, with its state")
    timeline: list[TimelineEntry] = Field(description="newest first")
    coverages: list[Coverage] = Field(description="対人・対物・人身傷害・車両, then the rest")
    customer_actions: list[CustomerAction] = Field(description="the open ones")
    payments: list[Payment]
    requests: list[CustomerRequest] = Field(
        description="every request, those waiting for the customer first"
    )
    documents: list[SentDocument] = Field(description="every document sent, oldest first")
    closed: bool = Field(description="a resolved claim is read-only: no documents or messages")
    payment_deadline: PaymentDeadline | None = Field(
        description="お支払い期限の目安 of the claim: the soonest deadline of what is still owed "
        "(the coverages still to be paid, each with its extensions); null before every "
        "required document is in, or once nothing is left to pay"
    )
    payment_terms_days: int = Field(
        description="the payment terms' base period: days from the day every required document "
        "is in (the web front says it before the claim is complete, when payment_deadline is null)"
    )
    payment_totals: PaymentTotals = Field(description="yen paid, and scheduled still")
    as_of: str = Field(
        description="the moment the view reflects: the time of the read, or the as_of asked for"
    )


class Received(BaseModel):
    outcome: str = Field(description="applied, duplicate, or held (waiting for an earlier update)")


async def _page_start(
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> tuple[date, str] | None:
    """Where the page starts: after the last accident of the page that handed out `cursor`."""
    if not cursor:
        return None
    try:
        return decode_cursor(cursor)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as error:
        raise INVALID_CURSOR.error() from error


customer_router = customer_routes()
adjuster_router = APIRouter(prefix="/api/v1/adjuster", tags=["adjusters"])
SIGNED_IN_CUSTOMER = (*NOT_SIGNED_IN, CHANGE_PASSWORD_FIRST, NOT_ALLOWED)


@customer_router.get(
    "/accidents", response_model=AccidentList, responses=ERRORS.responses_for(*SIGNED_IN_CUSTOMER)
)
async def list_accidents(
    reader: Reader,
    position: Annotated[tuple[date, str] | None, Depends(_page_start)],
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Response:
    items, next_cursor = await reader.queries.list_for(
        reader.customer_id, limit, position, reader.language
    )
    return _json({"items": items, "next_cursor": next_cursor, "as_of": as_utc(reader.now)})


async def _as_of(
    as_of: Annotated[
        str | None,
        Query(
            description="the claim as it was then: a date (the end of that day in Japan time) "
            "or an ISO time (Japan time without an offset); full-width digits are accepted. A "
            "moment before the claim was opened is 404, one still to come the live view",
        ),
    ] = None,
) -> datetime | None:
    if as_of is None:
        return None
    try:
        return parse_as_of(as_of)
    except ValueError as error:
        raise INVALID_AS_OF.error() from error


@customer_router.get(
    "/accidents/{claim_id}",
    response_model=AccidentDetail,
    responses=ERRORS.responses_for(*SIGNED_IN_CUSTOMER, ACCIDENT_NOT_FOUND, INVALID_AS_OF),
)
async def accident_detail(
    claim_id: ClaimId,
    reader: Reader,
    as_of: Annotated[datetime | None, Depends(_as_of)],
) -> Response:
    found = await reader.queries.detail_for(
        reader.customer_id, claim_id, reader.language, reader.now, as_of
    )
    if found is None:
        raise ACCIDENT_NOT_FOUND.error()
    return _json(found)


@adjuster_router.post(
    "/claims/{claim_id}/updates",
    status_code=202,
    response_model=Received,
    responses=ERRORS.responses_for(*NOT_SIGNED_IN, NOT_ALLOWED, CLAIM_ID_MISMATCH, InvalidUpdate),
)
async def receive_update(
    claim_id: str,
    update: AnyAdjusterUpdate,
    adjuster: Adjuster,
    intake: Annotated[ClaimUpdateService, Depends(INTAKE)],
) -> Received:
    """The same AdjusterUpdate as on claims.adjuster-updates, through the same handler."""
    if update.claim_id != claim_id:
        raise CLAIM_ID_MISMATCH.error()
    outcome = await intake.receive(update)
    return Received(outcome=outcome if isinstance(outcome, str) else outcome.value)
