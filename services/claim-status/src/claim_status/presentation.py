"""How a claim is shown to its customer: the words for stages, coverages and timeline entries in
Japanese and English, and the shape of the accident list and detail the API answers with. Reads
the claim document the domain folds (`ClaimDocument`) and decides nothing about the rules.

The API writes these views to the customer as they are (api._json, without validating them
against its response models again): each view holds exactly its model's fields, in the model's
order, which tests/fast/test_read_json_fast.py holds byte for byte."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal, TypedDict, TypeVar

from claim_status.deadlines import PaymentTerms, claim_deadline, coverage_deadline, shipped_terms
from claim_status.documents import StoredDocument
from claim_status.domain import (
    COVERAGES,
    STAGES,
    ClaimDocument,
    CustomerAction,
    DocumentReview,
    Handler,
    PaymentStatus,
    TimelineData,
    TimelineEntry,
    stages_reached,
)
from claim_status.payment_views import (
    BreakdownLineView,
    PayeeView,
    PaymentDeadlineView,
    PaymentTotalsView,
    breakdown_view,
    day_in_words,
    deadline_view,
    payee_view,
    payment_totals,
    reason_label,
)
from claim_status.stage_times import reached_at
from claims_shared.errors import Message
from claims_shared.events.claims import (
    CoverageCode,
    CoverageStatus,
    ReviewResult,
    StageCode,
    UpdateType,
)

STAGE_LABELS: dict[StageCode, Message] = {
    "reported": Message("事故受付", "Accident reported"),
    "handler_assigned": Message("担当者決定", "Claims handler assigned"),
    "investigating": Message("損害調査中", "Investigating the damage"),
    "negotiating": Message("示談交渉中", "Negotiating the settlement"),
    "payment_processing": Message("保険金お支払い手続中", "Preparing the payment"),
    "paid": Message("保険金お支払い済", "Paid"),
    "closed": Message("解決", "Resolved"),
}
COVERAGE_LABELS: dict[CoverageCode, Message] = {
    "bodily_injury": Message("対人賠償", "Bodily injury liability"),
    "property_damage": Message("対物賠償", "Property damage liability"),
    "own_vehicle": Message("車両", "Own vehicle"),
    "personal_injury": Message("人身傷害", "Personal injury"),
    "passenger": Message("搭乗者傷害", "Passenger injury"),
}
COVERAGE_STATUS_LABELS: dict[CoverageStatus, Message] = {
    "reviewing": Message("確認中", "Being reviewed"),
    "investigating": Message("損害調査中", "Investigating"),
    "agreed": Message("示談成立", "Settlement agreed"),
    "paying": Message("お支払い手続中", "Preparing payment"),
    "paid": Message("お支払い済", "Paid"),
    "not_covered": Message("お支払い対象外", "Not covered"),
}
REVIEW_LABELS: dict[ReviewResult, Message] = {
    "accepted": Message("確認済み", "Checked"),
    "resubmit": Message("再提出のお願い", "Please send it again"),
}
"""The handler's review of a document, as the customer reads it on the document and its
request."""
RequestState = Literal["requested", "submitted", "accepted", "resubmit"]
REQUEST_STATE_LABELS: dict[RequestState, Message] = {
    "requested": Message("お願い中", "Waiting for you"),
    "submitted": Message("提出済み（確認待ち）", "Sent (waiting for review)"),
    "accepted": Message("確認済み", "Checked"),
    "resubmit": Message("再提出のお願い", "Please send it again"),
}
"""Where a request to the customer stands (customer_action_requested and what answered it)."""
DocumentState = Literal["received", "accepted", "resubmit"]
DOCUMENT_STATE_LABELS: dict[DocumentState, Message] = {
    "received": Message("受付済み", "Received"),
    "accepted": Message("確認済み", "Checked"),
    "resubmit": Message("再提出のお願い", "Please send it again"),
}
TIMELINE_TEXT: dict[UpdateType, Message] = {
    "claim_opened": Message("事故のご連絡を受け付けました。", "We received your accident report."),
    "handler_assigned": Message("担当者が決まりました。", "A claims handler was assigned."),
    "stage_changed": Message("対応状況が「{stage}」になりました。", "The status is now '{stage}'."),
    "coverage_updated": Message(
        "{coverage}の状況が「{status}」になりました。",
        "{coverage}: now '{status}'.",
    ),
    "customer_action_requested": Message(
        "お客さまへのお願い：{description}",
        "We need from you: {description}",
    ),
    "customer_action_completed": Message(
        "お願いしていた「{description}」を確認しました。",
        "We received: {description}",
    ),
    "payment_scheduled": Message(
        "{coverage}の保険金 {amount:,}円 のお支払いを予定しています。",
        "A payment of ¥{amount:,} ({coverage}) is scheduled.",
    ),
    "payment_made": Message(
        "{coverage}の保険金 {amount:,}円 をお支払いしました。",
        "We paid ¥{amount:,} ({coverage}).",
    ),
    "claim_closed": Message("事故の対応が完了しました。", "Your claim is resolved."),
    "claim_reopened": Message("事故の対応を再開しました。", "Your claim was reopened."),
    "note_added": Message("{text}", "{text}"),
    "document_reviewed": Message(
        "お送りいただいた書類：{result}", "The document you sent: {result}"
    ),
    "message_to_customer": Message(
        "担当者からメッセージが届きました。", "Your claims handler sent you a message."
    ),
    "claim_completed": Message(
        "必要書類がそろいました（{completed_on}）。",
        "All the required documents are in ({completed_on}).",
    ),
    "payment_deadline_extended": Message(
        "お支払い期限の目安を延長しました{for_coverage}：{reason}のため",
        "The payment deadline was extended{for_coverage}: {reason}",
    ),
}
"""Each timeline entry in the customer's words, filled from what the timeline kept of it (every
kind the timeline shows: domain.UpdateKind.on_timeline)."""

StageState = Literal["done", "current", "skipped", "upcoming"]


class Labelled(TypedDict):
    code: str
    label: str


class StageStepView(TypedDict):
    code: StageCode
    label: str
    state: StageState
    reached_at: str | None  # when the claim reached it (null: not reached, or upcoming)
    skipped: bool  # a stage before the current one the claim went past without
    typical_days: int | None  # the current stage's typical duration, when enough claims back it


class TimelineItemView(TypedDict):
    type: UpdateType
    at: str
    text: str


class CoverageView(TypedDict):
    code: CoverageCode
    label: str
    status: Labelled
    payment_deadline: PaymentDeadlineView | None  # null once paid, or before the claim is complete


class OpenActionView(TypedDict):
    action_id: str
    description: str
    due_date: str | None


class PaymentView(TypedDict):
    payment_id: str
    coverage: CoverageCode
    coverage_label: str
    amount: int
    status: PaymentStatus
    date: str | None
    payee: PayeeView | None  # masked
    breakdown: list[BreakdownLineView]  # empty when the adjuster sent none


class DocumentView(StoredDocument):
    """A document the customer sent, with the handler's review of it."""

    state: Labelled
    reason: str | None  # why the handler asks for it again


class RequestView(TypedDict):
    """Something asked of the customer, where it stands, and the documents sent for it."""

    action_id: str
    description: str
    due_date: str | None
    state: Labelled
    reason: str | None
    documents: list[DocumentView]


class AccidentSummaryView(TypedDict):
    """One accident of the customer's list (the API's AccidentSummary)."""

    claim_id: str
    claim_number: str  # 事故受付番号 (the claim id when the adjuster sent none)
    policy_number: str
    accident_date: str
    summary: str
    vehicle: str
    stage: Labelled
    updated_at: str
    handler: Handler | None
    open_requests: int  # requests waiting for the customer (requested, or to send again)


class AccidentListItemView(AccidentSummaryView):
    """One accident of the list with what waits for the customer (the API's AccidentListItem)."""

    unread_messages: int


class AccidentDetailView(AccidentSummaryView):
    """One accident in full (the API's AccidentDetail)."""

    location: str
    stages: list[StageStepView]
    timeline: list[TimelineItemView]
    coverages: list[CoverageView]
    customer_actions: list[OpenActionView]
    payments: list[PaymentView]
    requests: list[RequestView]
    documents: list[DocumentView]
    closed: bool
    payment_deadline: PaymentDeadlineView | None  # the claim's; null: not complete, or paid
    payment_terms_days: int  # the terms' base period, said before the claim is complete
    payment_totals: PaymentTotalsView
    as_of: str  # the moment the view reflects (the time of the read, or the one asked for)


class AccidentPage(TypedDict):
    """A page of the customer's accident list (the API's AccidentList)."""

    items: list[AccidentListItemView]
    next_cursor: str | None


Code = TypeVar("Code", bound=str)


def _label(labels: Mapping[Code, Message], code: Code, language: str) -> str:
    """The code's label; a code stored before these labels knew it is shown as it is."""
    return labels.get(code, Message(code, code)).in_language(language)


def summary(
    claim_id: str,
    claim: ClaimDocument,
    language: str,
    documents: Sequence[StoredDocument] = (),
) -> AccidentSummaryView:
    return {
        "claim_id": claim_id,
        "claim_number": claim.get("claim_number", claim_id),
        "policy_number": claim["policy_number"],
        "accident_date": claim["accident_date"],
        "summary": claim["summary"],
        "vehicle": claim["vehicle"],
        "stage": {"code": claim["stage"], "label": _label(STAGE_LABELS, claim["stage"], language)},
        "updated_at": claim["updated_at"],
        "handler": claim["handler"],
        "open_requests": open_requests(claim, documents),
    }


def detail(
    claim_id: str,
    claim: ClaimDocument,
    language: str,
    documents: Sequence[StoredDocument] = (),
    *,
    as_of: str | None = None,
    typical: Mapping[StageCode, int] | None = None,
    terms: PaymentTerms | None = None,
) -> AccidentDetailView:
    """`as_of`: the moment the view reflects (None: the claim's last update); `typical`: each
    stage's typical days (typical_durations.TypicalDurations), shown on the current stage."""
    terms = terms or shipped_terms()  # the insurer's payment terms (None: those shipped)
    return {
        **summary(claim_id, claim, language, documents),
        "location": claim["location"],
        "stages": stages(claim, language, typical or {}),
        "timeline": [
            _timeline_item(entry, language, terms) for entry in reversed(claim["timeline"])
        ],
        "coverages": [
            {
                "code": code,
                "label": _label(COVERAGE_LABELS, code, language),
                "status": {
                    "code": status,
                    "label": _label(COVERAGE_STATUS_LABELS, status, language),
                },
                "payment_deadline": deadline_view(
                    coverage_deadline(claim, code, terms), terms, language
                ),
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
                "payee": payee_view(payment),
                "breakdown": breakdown_view(payment),
            }
            for payment_id, payment in claim["payments"].items()
        ],
        "requests": requests(claim, documents, language),
        "documents": [document_view(claim, document, language) for document in documents],
        "closed": claim["closed"],
        "payment_deadline": deadline_view(claim_deadline(claim, terms), terms, language),
        "payment_terms_days": terms.base_days,
        "payment_totals": payment_totals(claim),
        "as_of": as_of or claim["updated_at"],
    }


def document_view(claim: ClaimDocument, document: StoredDocument, language: str) -> DocumentView:
    review = claim.get("documents_reviewed", {}).get(document["document_id"])
    state: DocumentState = "received" if review is None else review["result"]
    return {
        **document,
        "state": {"code": state, "label": _label(DOCUMENT_STATE_LABELS, state, language)},
        "reason": None if review is None else review["reason"],
    }


def requests(
    claim: ClaimDocument, documents: Sequence[StoredDocument], language: str
) -> list[RequestView]:
    """Every request, those waiting for the customer first (to send again, then not yet
    answered), then those waiting for the handler, then the checked ones."""
    views: list[RequestView] = []
    for action_id, action in claim["actions"].items():
        sent = [document for document in documents if document["action_id"] == action_id]
        state, reason = request_state(action, sent, claim.get("documents_reviewed", {}))
        views.append(
            {
                "action_id": action_id,
                "description": action["description"],
                "due_date": action["due_date"],
                "state": {"code": state, "label": _label(REQUEST_STATE_LABELS, state, language)},
                "reason": reason,
                "documents": [document_view(claim, document, language) for document in sent],
            }
        )
    order: list[str] = ["resubmit", "requested", "submitted", "accepted"]
    return sorted(views, key=lambda view: order.index(view["state"]["code"]))


def request_state(
    action: CustomerAction,
    sent: Sequence[StoredDocument],
    reviews: Mapping[str, DocumentReview],
) -> tuple[RequestState, str | None]:
    """お願い中 until a document is sent for it; then 提出済み（確認待ち）; 確認済み when the
    handler completed it or accepted every document; 再提出のお願い (with the reason) when the
    handler asked for one again and nothing was sent since."""
    if action["completed"]:
        return "accepted", None
    if not sent:
        return "requested", None
    results = [reviews.get(document["document_id"]) for document in sent]
    for index, review in reversed(list(enumerate(results))):
        if review is not None and review["result"] == "resubmit":
            if index == len(results) - 1:
                return "resubmit", review["reason"]
            break
    if all(review is not None and review["result"] == "accepted" for review in results):
        return "accepted", None
    return "submitted", None


def open_requests(claim: ClaimDocument, documents: Sequence[StoredDocument]) -> int:
    """How many requests wait for the customer: not answered yet, or to send again."""
    reviews = claim.get("documents_reviewed", {})
    waiting = 0
    for action_id, action in claim["actions"].items():
        sent = [document for document in documents if document["action_id"] == action_id]
        if request_state(action, sent, reviews)[0] in ("requested", "resubmit"):
            waiting += 1
    return waiting


def stages(
    claim: ClaimDocument, language: str, typical: Mapping[StageCode, int]
) -> list[StageStepView]:
    """Every stage with what happened to it, so the customer is not told a stage the claim went
    past without (示談交渉中 when it went straight to payment) was done: a stage before the
    current one is done if the timeline shows it was reached, skipped if not; after it,
    upcoming (even one reached before the claim was closed and reopened). The date each was
    reached, and for the current stage of an open claim its typical duration (a figure, never
    a promise)."""
    reached = stages_reached(claim["timeline"])
    dates = reached_at(claim["timeline"], claim["stage"])
    current = STAGES.index(claim["stage"]) if claim["stage"] in STAGES else -1
    steps: list[StageStepView] = []
    for index, code in enumerate(STAGES):
        state: StageState
        if index == current:
            state = "current"
        elif index > current:
            state = "upcoming"
        else:
            state = "done" if code in reached else "skipped"
        steps.append(
            {
                "code": code,
                "label": _label(STAGE_LABELS, code, language),
                "state": state,
                "reached_at": dates.get(code) if state in ("done", "current") else None,
                "skipped": state == "skipped",
                "typical_days": typical.get(code) if state == "current" else None,
            }
        )
    return steps


def coverage_statuses(claim: ClaimDocument) -> list[tuple[CoverageCode, CoverageStatus]]:
    """Each coverage's status as its payments bear it out, in the usual order.

    Adjusters send a coverage's status and its payments as separate updates, so one can lag
    the other. Told "paying" when every payment of the coverage has been made, the customer
    sees お支払い手続中 beside お支払い済: it is shown paid. Told "paid" while a payment of it
    is still only scheduled, it is shown paying: money is still to come. A coverage without
    payments, or in any other status, is shown as the adjuster set it."""
    payments = list(claim["payments"].values())
    shown: list[tuple[CoverageCode, CoverageStatus]] = []
    for code, status in claim["coverages"].items():
        theirs = [payment["status"] for payment in payments if payment["coverage"] == code]
        if status == "paying" and theirs and all(state == "made" for state in theirs):
            status = "paid"
        elif status == "paid" and "scheduled" in theirs:
            status = "paying"
        shown.append((code, status))
    return sorted(shown, key=lambda coverage: _coverage_rank(coverage[0]))


def _coverage_rank(code: CoverageCode) -> tuple[int, str]:
    """The contract's order (対人・対物・人身傷害・車両, then 搭乗者傷害); a code stored before the
    contract knew it comes last."""
    known = code in COVERAGES
    return (COVERAGES.index(code) if known else len(COVERAGES), code)


def _timeline_item(entry: TimelineEntry, language: str, terms: PaymentTerms) -> TimelineItemView:
    text = TIMELINE_TEXT.get(entry["type"], Message("", "")).in_language(language)
    return {
        "type": entry["type"],
        "at": entry["at"],
        "text": text.format_map(_Blank(_in_words(entry["data"], language, terms))),
    }


def _in_words(told: TimelineData, language: str, terms: PaymentTerms) -> dict[str, object]:
    """What the timeline kept of an update, its codes as labels in the customer's language."""
    words: dict[str, object] = {**told}
    if "completed_on" in told:
        words["completed_on"] = day_in_words(date.fromisoformat(told["completed_on"]), language)
    if "reason" in told:
        words["reason"] = reason_label(told["reason"], terms, language)
        coverage = _label(COVERAGE_LABELS, told["coverage"], language) if "coverage" in told else ""
        words["for_coverage"] = coverage and (
            f"（{coverage}）" if language == "ja" else f" ({coverage})"
        )
    if "stage" in told:
        words["stage"] = _label(STAGE_LABELS, told["stage"], language)
    if "coverage" in told:
        words["coverage"] = _label(COVERAGE_LABELS, told["coverage"], language)
    if "status" in told:
        words["status"] = _label(COVERAGE_STATUS_LABELS, told["status"], language)
    if "result" in told:
        words["result"] = _label(REVIEW_LABELS, told["result"], language)
    words.setdefault("description", "")
    return words


class _Blank(dict[str, object]):
    """Fills a placeholder the timeline did not keep with nothing."""

    def __missing__(self, key: str) -> str:
        return ""
