"""Where a request to the customer stands, from the claim document and the documents sent for
it: お願い中 → 提出済み（確認待ち） → 確認済み, or 再提出のお願い with the handler's reason until
something new is sent; the list's badge counts the requests waiting for the customer."""

from __future__ import annotations

import pytest

from claim_status.documents import StoredDocument
from claim_status.domain import CustomerAction, DocumentReview
from claim_status.presentation import open_requests, request_state

ASKED: CustomerAction = {"description": "写真", "due_date": "2026-12-10", "completed": False}


def sent(*names: str) -> list[StoredDocument]:
    return [
        {
            "document_id": name,
            "action_id": "photos",
            "file_name": f"{name}.jpg",
            "content_type": "image/jpeg",
            "size_bytes": 1,
            "submitted_at": f"2026-11-30T10:0{n}:00+00:00",
        }
        for n, name in enumerate(names)
    ]


def accepted() -> DocumentReview:
    return {"result": "accepted", "reason": None}


def resubmit(reason: str = "暗くて見えません") -> DocumentReview:
    return {"result": "resubmit", "reason": reason}


@pytest.mark.parametrize(
    ("documents", "reviews", "state"),
    [
        ([], {}, ("requested", None)),
        (["a"], {}, ("submitted", None)),
        (["a", "b"], {"a": accepted()}, ("submitted", None)),
        (["a", "b"], {"a": accepted(), "b": accepted()}, ("accepted", None)),
        (["a"], {"a": resubmit()}, ("resubmit", "暗くて見えません")),
        (["a", "b"], {"a": resubmit()}, ("submitted", None)),
        (["a", "b"], {"a": accepted(), "b": resubmit("別の角度も")}, ("resubmit", "別の角度も")),
    ],
    ids=[
        "nothing sent",
        "sent, not reviewed",
        "one of two accepted",
        "all accepted",
        "asked again",
        "sent again after being asked",
        "the latest asked again",
    ],
)
def test_a_request_stands_as_its_documents_reviews_say(
    documents: list[str], reviews: dict[str, DocumentReview], state: tuple[str, str | None]
) -> None:
    assert request_state(ASKED, sent(*documents), reviews) == state


def test_a_request_the_handler_completed_is_checked_whatever_was_sent() -> None:
    done: CustomerAction = {**ASKED, "completed": True}
    assert request_state(done, [], {}) == ("accepted", None)


def test_the_badge_counts_requests_not_answered_or_asked_again() -> None:
    claim: dict[str, object] = {
        "actions": {
            "photos": ASKED,
            "estimate": {**ASKED, "description": "見積書"},
            "account": {**ASKED, "completed": True},
        },
        "documents_reviewed": {"a": resubmit()},
    }
    assert open_requests(claim, sent("a")) == 2  # type: ignore[arg-type]
    assert open_requests(claim, sent("a", "b")) == 1  # type: ignore[arg-type]
