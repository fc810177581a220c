"""The claim's typed state, with no database: the document `evolve` folds is the one an earlier
release stored, key for key, and loads and reads as it did; its TypedDicts name exactly the keys
it holds; the one table of update kinds (domain.UPDATE_KINDS) covers the contract and says the
stage both the Claim's events and the customers' stage indicator use; every code has words."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import orjson

from claim_status.domain import (
    STAGES,
    UPDATE_KINDS,
    Claim,
    ClaimDocument,
    CustomerAction,
    DocumentReview,
    Handler,
    HandlerMessage,
    HandlersAnswers,
    Payment,
    TimelineData,
    TimelineEntry,
    data_of,
    evolve,
    stage_after,
    stages_reached,
)
from claim_status.presentation import (
    COVERAGE_LABELS,
    COVERAGE_STATUS_LABELS,
    STAGE_LABELS,
    TIMELINE_TEXT,
    detail,
)
from claim_status.read_model import load_document
from claim_status_harness import reported
from claims_shared.events import AdjusterUpdate
from claims_shared.events.claims import UPDATE_DATA, CoverageCode, CoverageStatus, UpdateType

STORY: list[tuple[str, dict[str, Any]]] = [
    ("claim_opened", reported("C-1", "B-2026-000001")),
    ("handler_assigned", {"name": "佐藤 健", "office": "東京第一課", "phone": "03-1234-5678"}),
    ("stage_changed", {"stage": "investigating"}),
    ("coverage_updated", {"coverage": "own_vehicle", "status": "paying"}),
    (
        "customer_action_requested",
        {
            "action_id": "estimate",
            "description": "見積書をご提出ください",
            "due_date": "2026-12-01",
        },
    ),
    (
        "customer_action_requested",
        {"action_id": "photo", "description": "お車の写真をお送りください"},
    ),
    ("customer_action_completed", {"action_id": "estimate"}),
    ("stage_changed", {"stage": "payment_processing"}),
    (
        "payment_scheduled",
        {
            "payment_id": "P1",
            "coverage": "own_vehicle",
            "amount": 350000,
            "scheduled_on": "2026-12-01",
        },
    ),
    (
        "payment_made",
        {"payment_id": "P1", "coverage": "own_vehicle", "amount": 350000, "paid_on": "2026-11-20"},
    ),
    ("note_added", {"text": "修理工場へ連絡済みです"}),
    ("claim_closed", {}),
    ("claim_reopened", {"stage": "payment_processing"}),
]
"""Every kind of update once (two requests), the claim reopened at a later stage than it was."""


def at(sequence: int) -> str:
    return f"2026-11-20T10:{sequence:02d}:00+09:00"


STORED_BY_AN_EARLIER_RELEASE: dict[str, Any] = {
    **reported("C-1", "B-2026-000001"),
    "stage": "payment_processing",
    "handler": {"name": "佐藤 健", "office": "東京第一課", "phone": "03-1234-5678"},
    "coverages": {"own_vehicle": "paying"},
    "actions": {
        "estimate": {
            "description": "見積書をご提出ください",
            "due_date": "2026-12-01",
            "completed": True,
        },
        "photo": {
            "description": "お車の写真をお送りください",
            "due_date": None,
            "completed": False,
        },
    },
    "payments": {
        "P1": {"coverage": "own_vehicle", "amount": 350000, "status": "made", "date": "2026-11-20"}
    },
    "timeline": [
        {"type": "claim_opened", "at": at(1), "data": {}},
        {"type": "handler_assigned", "at": at(2), "data": {}},
        {"type": "stage_changed", "at": at(3), "data": {"stage": "investigating"}},
        {
            "type": "coverage_updated",
            "at": at(4),
            "data": {"coverage": "own_vehicle", "status": "paying"},
        },
        {
            "type": "customer_action_requested",
            "at": at(5),
            "data": {"description": "見積書をご提出ください"},
        },
        {
            "type": "customer_action_requested",
            "at": at(6),
            "data": {"description": "お車の写真をお送りください"},
        },
        {
            "type": "customer_action_completed",
            "at": at(7),
            "data": {"description": "見積書をご提出ください"},
        },
        {"type": "stage_changed", "at": at(8), "data": {"stage": "payment_processing"}},
        {
            "type": "payment_scheduled",
            "at": at(9),
            "data": {"coverage": "own_vehicle", "amount": 350000},
        },
        {
            "type": "payment_made",
            "at": at(10),
            "data": {"coverage": "own_vehicle", "amount": 350000},
        },
        {"type": "note_added", "at": at(11), "data": {"text": "修理工場へ連絡済みです"}},
        {"type": "claim_closed", "at": at(12), "data": {}},
        {"type": "claim_reopened", "at": at(13), "data": {}},
    ],
    "closed": False,
    "sequence": 13,
    "updated_at": at(13),
}
"""STORY's document exactly as the read model stored it before the document was typed."""


def update(sequence: int, kind: str, data: dict[str, Any]) -> AdjusterUpdate:
    """ADJ-1's update number `sequence` to CL-1."""
    return AdjusterUpdate.of(
        update_id=str(uuid.UUID(int=sequence)),
        claim_id="CL-1",
        sequence=sequence,
        occurred_at=at(sequence),
        adjuster_id="ADJ-1",
        type=kind,
        data=data,
    )


def told() -> tuple[Claim, list[Claim.UpdateApplied], ClaimDocument]:
    """STORY through the Claim's rules, and its events folded as the read model folds them."""
    claim = Claim("CL-1")
    for sequence, (kind, data) in enumerate(STORY, start=1):
        claim.apply_update(update(sequence, kind, data))
    events = [e for e in claim.collect_events() if isinstance(e, Claim.UpdateApplied)]
    document: ClaimDocument | None = None
    for e in events:
        document = evolve(
            document, data_of(e.kind, e.data), sequence=e.sequence, occurred_at=e.occurred_at
        )
    assert document is not None
    return claim, events, document


def test_the_document_is_folded_key_for_key_as_an_earlier_release_stored_it() -> None:
    _, _, document = told()
    assert orjson.dumps(document) == orjson.dumps(STORED_BY_AN_EARLIER_RELEASE)


def test_the_typed_document_names_exactly_the_keys_the_document_holds() -> None:
    _, _, document = told()
    assert set(document) == ClaimDocument.__required_keys__
    assert document["handler"] is not None
    assert set(document["handler"]) == set(Handler.__annotations__)
    for action in document["actions"].values():
        assert set(action) == set(CustomerAction.__annotations__)
    for payment in document["payments"].values():
        assert set(payment) == Payment.__required_keys__
    for entry in document["timeline"]:
        assert set(entry) == set(TimelineEntry.__annotations__)
        assert set(entry["data"]) <= set(TimelineData.__annotations__)
    assert document["stage"] in STAGES
    assert set(document["coverages"]) <= set(get_args(CoverageCode))
    assert set(document["coverages"].values()) <= set(get_args(CoverageStatus))


def test_the_handlers_answers_add_their_keys_only_once_they_come() -> None:
    """A document with no review, message or read mark keeps the keys an earlier release
    stored; the first of each adds its key."""
    _, _, document = told()
    document_id, message_id, read_up_to = (str(uuid.UUID(int=n)) for n in (101, 102, 103))
    answers: list[tuple[str, dict[str, Any]]] = [
        ("document_reviewed", {"document_id": document_id, "result": "resubmit", "reason": "暗い"}),
        ("message_to_customer", {"message_id": message_id, "text": "ご確認ください。\n佐藤"}),
        ("customer_messages_read", {"up_to": read_up_to}),
        ("document_reviewed", {"document_id": document_id, "result": "accepted"}),
    ]
    for sequence, (kind, data) in enumerate(answers, start=14):
        answer = update(sequence, kind, data).data
        document = evolve(document, answer, sequence=sequence, occurred_at=at(sequence))

    assert set(document) == ClaimDocument.__required_keys__ | HandlersAnswers.__optional_keys__
    assert document["documents_reviewed"] == {document_id: {"result": "accepted", "reason": None}}
    assert document["messages"] == [
        {"message_id": message_id, "text": "ご確認ください。\n佐藤", "at": at(15)}
    ]
    assert set(document["messages"][0]) == set(HandlerMessage.__annotations__)
    assert set(document["documents_reviewed"][document_id]) == set(DocumentReview.__annotations__)
    assert document["handler_read_up_to"] == read_up_to
    shown = [entry["text"] for entry in detail("CL-1", document, "ja")["timeline"][:3]]
    assert shown == [
        "お送りいただいた書類：確認済み",
        "担当者からメッセージが届きました。",
        "お送りいただいた書類：再提出のお願い",
    ], "the handler's read mark is not on the timeline"


def test_the_table_of_update_kinds_is_the_contracts() -> None:
    assert {name: kind.data for name, kind in UPDATE_KINDS.items()} == UPDATE_DATA
    assert set(UPDATE_KINDS) == set(get_args(UpdateType))


def test_the_stage_an_update_leads_to_is_the_one_the_document_shows() -> None:
    claim, events, _ = told()
    document: ClaimDocument | None = None
    for e in events:
        data = data_of(e.kind, e.data)
        expected = stage_after(document, data)
        document = evolve(document, data, sequence=e.sequence, occurred_at=e.occurred_at)
        assert e.stage == expected == document["stage"], e.kind
    assert claim.state is not None and claim.state["stage"] == "payment_processing"


def test_the_timeline_shows_the_stages_each_kind_reaches() -> None:
    def reached(kind: str, **data: Any) -> set[str]:
        entry: Any = {"type": kind, "at": at(1), "data": data}
        return set(stages_reached([entry]))

    assert reached("claim_opened") == {"reported"}
    assert reached("handler_assigned") == {"handler_assigned"}
    assert reached("stage_changed", stage="negotiating") == {"negotiating"}
    assert reached("claim_closed") == {"closed"}
    assert reached("claim_reopened") == set(), "its stage is not kept in the timeline"
    for kind in set(get_args(UpdateType)) - {
        "claim_opened",
        "handler_assigned",
        "stage_changed",
        "claim_closed",
    }:
        assert reached(kind) == set(), kind
    assert reached("retired_kind") == set(), "a kind an earlier release stored"


def test_every_code_the_contract_knows_has_words_in_japanese_and_english() -> None:
    assert set(STAGE_LABELS) == set(STAGES)
    assert set(COVERAGE_LABELS) == set(get_args(CoverageCode))
    assert set(COVERAGE_STATUS_LABELS) == set(get_args(CoverageStatus))
    shown = {name for name, kind in UPDATE_KINDS.items() if kind.on_timeline}
    assert set(TIMELINE_TEXT) == shown == set(get_args(UpdateType)) - {"customer_messages_read"}


def test_a_document_an_earlier_release_stored_is_shown_as_it_was() -> None:
    document = load_document(orjson.dumps(STORED_BY_AN_EARLIER_RELEASE))
    ja, en = detail("CL-1", document, "ja"), detail("CL-1", document, "en")

    assert ja["stage"] == {"code": "payment_processing", "label": "保険金お支払い手続中"}
    assert [(step["label"], step["state"]) for step in ja["stages"]] == [
        ("事故受付", "done"),
        ("担当者決定", "done"),
        ("損害調査中", "done"),
        ("示談交渉中", "skipped"),
        ("保険金お支払い手続中", "current"),
        ("保険金お支払い済", "upcoming"),
        ("解決", "upcoming"),
    ]
    assert [entry["text"] for entry in ja["timeline"]] == [
        "事故の対応を再開しました。",
        "事故の対応が完了しました。",
        "修理工場へ連絡済みです",
        "車両の保険金 350,000円 をお支払いしました。",
        "車両の保険金 350,000円 のお支払いを予定しています。",
        "対応状況が「保険金お支払い手続中」になりました。",
        "お願いしていた「見積書をご提出ください」を確認しました。",
        "お客さまへのお願い：お車の写真をお送りください",
        "お客さまへのお願い：見積書をご提出ください",
        "車両の状況が「お支払い手続中」になりました。",
        "対応状況が「損害調査中」になりました。",
        "担当者が決まりました。",
        "事故のご連絡を受け付けました。",
    ]
    assert [entry["text"] for entry in en["timeline"]] == [
        "Your claim was reopened.",
        "Your claim is resolved.",
        "修理工場へ連絡済みです",
        "We paid ¥350,000 (Own vehicle).",
        "A payment of ¥350,000 (Own vehicle) is scheduled.",
        "The status is now 'Preparing the payment'.",
        "We received: 見積書をご提出ください",
        "We need from you: お車の写真をお送りください",
        "We need from you: 見積書をご提出ください",
        "Own vehicle: now 'Preparing payment'.",
        "The status is now 'Investigating the damage'.",
        "A claims handler was assigned.",
        "We received your accident report.",
    ]
    assert ja["coverages"] == [
        {
            "code": "own_vehicle",
            "label": "車両",
            "status": {"code": "paid", "label": "お支払い済"},
            "payment_deadline": None,
        }
    ]
    assert en["coverages"][0]["status"]["label"] == "Paid"
    assert ja["customer_actions"] == [
        {"action_id": "photo", "description": "お車の写真をお送りください", "due_date": None}
    ]
    assert ja["payments"] == [
        {
            "payment_id": "P1",
            "coverage": "own_vehicle",
            "coverage_label": "車両",
            "amount": 350000,
            "status": "made",
            "date": "2026-11-20",
            "payee": None,
            "breakdown": [],
        }
    ]
    assert en["payments"][0]["coverage_label"] == "Own vehicle"
    assert (ja["claim_number"], ja["policy_number"]) == ("CL-1", "B-2026-000001")
    assert (ja["payment_deadline"], ja["payment_totals"]) == (
        None,
        {"paid": 350000, "scheduled": 0},
    )
