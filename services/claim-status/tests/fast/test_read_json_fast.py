"""The accident list and detail answer with bytes they build themselves (api._json: orjson on the
views presentation.py shapes) instead of letting FastAPI validate the views against the routes'
response models and serialise them. The customers' web front and app read those bytes, so they
must be exactly the ones FastAPI wrote: here both ways, on rich claims in Japanese and English
(payments with a payee and a breakdown, deadlines with extensions, skipped and current stages,
requests with documents sent and reviewed, the handler's messages, an old document), are
compared byte for byte, with the old way run by FastAPI itself."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from test_claim_document import STORED_BY_AN_EARLIER_RELEASE, told

from claim_status.api import AccidentDetail, AccidentList, _json
from claim_status.documents import stored_documents
from claim_status.domain import Claim, ClaimDocument, data_of, evolve
from claim_status.presentation import detail
from claim_status.queries import _list_item, encode_cursor
from claim_status_harness import reported
from claims_shared.events import AdjusterUpdate

MESSAGE_1, MESSAGE_2 = uuid.UUID(int=101), uuid.UUID(int=102)
PHOTO_DARK, PHOTO_AGAIN, ESTIMATE, RECEIPT, LOOSE = (uuid.UUID(int=n) for n in range(201, 206))
LINES = [{"item": "修理費", "amount": 400_000}, {"item": "免責", "amount": -50_000}]
PAYEE = {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "0042"}

RICH: list[tuple[str, dict[str, Any]]] = [
    (
        "claim_opened",
        {**reported("C-RICH", "A-2026-000042"), "claim_number": "24-000777"},
    ),
    ("handler_assigned", {"name": "佐藤 健", "office": "東京第一課", "phone": "03-1234-5678"}),
    ("stage_changed", {"stage": "investigating"}),
    ("coverage_updated", {"coverage": "own_vehicle", "status": "paying"}),
    ("coverage_updated", {"coverage": "property_damage", "status": "paid"}),
    ("coverage_updated", {"coverage": "bodily_injury", "status": "investigating"}),
    ("coverage_updated", {"coverage": "passenger", "status": "not_covered"}),
    ("coverage_updated", {"coverage": "personal_injury", "status": "agreed"}),
    (
        "customer_action_requested",
        {
            "action_id": "photo",
            "description": "お車の写真をお送りください",
            "due_date": "2026-12-01",
        },
    ),
    ("customer_action_requested", {"action_id": "estimate", "description": "見積書"}),
    ("customer_action_requested", {"action_id": "licence", "description": "免許証の写し"}),
    ("customer_action_requested", {"action_id": "call", "description": "お電話ください"}),
    ("customer_action_requested", {"action_id": "receipt", "description": "領収書"}),
    ("customer_action_completed", {"action_id": "call"}),
    ("document_reviewed", {"document_id": str(PHOTO_DARK), "result": "resubmit", "reason": "暗い"}),
    ("document_reviewed", {"document_id": str(ESTIMATE), "result": "accepted"}),
    ("document_reviewed", {"document_id": str(RECEIPT), "result": "resubmit", "reason": "金額"}),
    ("stage_changed", {"stage": "payment_processing"}),
    ("claim_completed", {"completed_on": "2026-10-30"}),
    (
        "payment_deadline_extended",
        {"reason": "expert_examination", "coverage": "bodily_injury"},
    ),
    ("payment_deadline_extended", {"reason": "public_authority_inquiry"}),
    (
        "payment_scheduled",
        {
            "payment_id": "P1",
            "coverage": "own_vehicle",
            "amount": 350_000,
            "payee": PAYEE,
            "breakdown": LINES,
            "scheduled_on": "2026-11-20",
        },
    ),
    (
        "payment_made",
        {"payment_id": "P1", "coverage": "own_vehicle", "amount": 350_000, "paid_on": "2026-11-21"},
    ),
    (
        "payment_scheduled",
        {"payment_id": "P2", "coverage": "property_damage", "amount": 80_000},
    ),
    ("message_to_customer", {"message_id": str(MESSAGE_1), "text": "写真を\nもう一度お願いします"}),
    (
        "message_to_customer",
        {"message_id": str(MESSAGE_2), "text": '「見積書」を "確認" しました \\'},
    ),
    ("note_added", {"text": "修理工場へ連絡済みです。\nEnglish: the garage was called."}),
]
"""A claim with some of everything the detail shows: coverages shown as their payments bear
them out, two extensions, a stage skipped, requests in every state (photo: sent again after a
resubmit, so waiting for review; estimate accepted; licence asked; call done; receipt to send
again), two messages (one read), text with line breaks, quotes and a backslash."""

DOCUMENT_ROWS: list[tuple[Any, ...]] = [
    (PHOTO_DARK, "photo", "IMG_0001.jpg", "image/jpeg", 2_200_000, "2026-11-20T01:00:00+00:00"),
    (ESTIMATE, "estimate", "見積書.pdf", "application/pdf", 300_000, "2026-11-20T02:00:00+00:00"),
    (RECEIPT, "receipt", "領収書.png", "image/png", 50_000, "2026-11-20T03:00:00+00:00"),
    (PHOTO_AGAIN, "photo", "IMG_0002.jpg", "image/jpeg", 2_100_000, "2026-11-21T03:00:00+00:00"),
    (LOOSE, None, "メモ.pdf", "application/pdf", 1_000, "2026-11-22T04:00:00+00:00"),
]
"""The documents the customer sent, as the read query's rows give them."""


def documents(sent: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*row[:5], datetime.fromisoformat(row[5])) for row in sent]


def folded(story: list[tuple[str, dict[str, Any]]], claim_id: str) -> ClaimDocument:
    """The story through the Claim's rules, folded as the read model folds it."""
    claim = Claim(claim_id)
    for sequence, (kind, data) in enumerate(story, start=1):
        claim.apply_update(
            AdjusterUpdate.of(
                update_id=str(uuid.UUID(int=sequence)),
                claim_id=claim_id,
                sequence=sequence,
                occurred_at=f"2026-11-20T10:{sequence:02d}:00+09:00",
                adjuster_id="ADJ-1",
                type=kind,
                data=data,
            )  # type: ignore[arg-type]
        )
    document: ClaimDocument | None = None
    for e in claim.collect_events():
        if isinstance(e, Claim.UpdateApplied):
            document = evolve(
                document, data_of(e.kind, e.data), sequence=e.sequence, occurred_at=e.occurred_at
            )
    assert document is not None
    return document


CLAIMS: dict[str, tuple[ClaimDocument, list[tuple[Any, ...]]]] = {
    "rich": (folded(RICH, "CL-RICH"), DOCUMENT_ROWS),
    "just opened": (folded(RICH[:1], "CL-NEW"), []),
    "closed and reopened": (told()[2], []),
    "stored by an earlier release": (STORED_BY_AN_EARLIER_RELEASE, []),  # type: ignore[dict-item]
}


def as_fastapi_wrote_it(model: type, view: Mapping[str, Any]) -> FastAPI:
    """The route as it was: it returned the view and FastAPI validated and serialised it."""
    app = FastAPI()

    @app.get("/view", response_model=model)
    async def answer() -> Mapping[str, Any]:
        return view

    return app


async def old_and_new(model: type, view: Mapping[str, Any]) -> tuple[httpx.Response, bytes]:
    transport = httpx.ASGITransport(app=as_fastapi_wrote_it(model, view))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        old = await client.get("/view")
    new = _json(view)
    assert old.headers["content-type"] == new.media_type == "application/json"
    return old, bytes(new.body)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", list(CLAIMS))
async def test_the_detail_is_the_bytes_fastapi_wrote(name: str, language: str) -> None:
    claim, sent = CLAIMS[name]
    view = detail(
        f"CL-{name}",
        claim,
        language,
        stored_documents(documents(sent)),
        as_of="2026-11-30T01:02:03+00:00",
        typical={"payment_processing": 12, "investigating": 9},
    )
    old, new = await old_and_new(AccidentDetail, view)
    assert new == old.content


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("more", [True, False], ids=["a next page", "the last page"])
async def test_the_list_is_the_bytes_fastapi_wrote(language: str, more: bool) -> None:
    rows = [
        {
            "claim_id": f"CL-{name}",
            "detail": _without_timeline(claim),
            "read_up_to": str(MESSAGE_1) if name == "rich" else None,
            "documents": documents(sent),
        }
        for name, (claim, sent) in CLAIMS.items()
    ]
    items = [_list_item(row, language) for row in rows]  # type: ignore[arg-type]
    cursor = encode_cursor(items[-1]["accident_date"], items[-1]["claim_id"]) if more else None
    page = {"items": items, "next_cursor": cursor, "as_of": "2026-11-30T01:02:03+00:00"}
    old, new = await old_and_new(AccidentList, page)
    assert new == old.content
    assert [i["unread_messages"] for i in old.json()["items"]] == [1, 0, 0, 0]
    assert old.json()["items"][0]["open_requests"] == 2  # licence, receipt


def _without_timeline(claim: ClaimDocument) -> str:
    """The document as the list's query reads it (`detail - 'timeline'`)."""
    return orjson.dumps({k: v for k, v in claim.items() if k != "timeline"}).decode()


def test_the_rich_claim_shows_what_it_is_meant_to() -> None:
    """The comparison above is only worth the claim it runs on."""
    claim, sent = CLAIMS["rich"]
    view = detail("CL-RICH", claim, "ja", stored_documents(documents(sent)))
    assert [(c["code"], c["status"]["code"]) for c in view["coverages"]] == [
        ("bodily_injury", "investigating"),
        ("property_damage", "paying"),
        ("personal_injury", "agreed"),
        ("own_vehicle", "paid"),
        ("passenger", "not_covered"),
    ]
    assert view["payment_deadline"] is not None and view["payment_deadline"]["extension"]
    assert [s["state"] for s in view["stages"]].count("skipped") == 1
    assert [(r["action_id"], r["state"]["code"]) for r in view["requests"]] == [
        ("receipt", "resubmit"),
        ("licence", "requested"),
        ("photo", "submitted"),
        ("estimate", "accepted"),
        ("call", "accepted"),
    ]
    assert [d["state"]["code"] for d in view["documents"]] == [
        "resubmit",
        "accepted",
        "resubmit",
        "received",
        "received",
    ]
    assert view["payments"][0]["payee"] == {
        "bank": "みずほ銀行",
        "branch": "渋谷支店",
        "account": "****0042",
    }
    assert any("\n" in entry["text"] for entry in view["timeline"])
