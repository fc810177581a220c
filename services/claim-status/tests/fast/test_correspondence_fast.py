"""The Correspondence on eventsourcing's in-memory store: what reaches
claims.customer-submissions of each of its events, and what stays inside."""

from __future__ import annotations

import uuid

from claim_status.correspondence import Correspondence, translate
from claims_shared.events import CustomerMessagePosted, DocumentSubmitted
from claims_shared.testing import POPO

FACTS = {
    "claim_id": "CL-1",
    "customer_id": "C-1",
    "action_id": "estimate",
    "file_name": "見積書.pdf",
    "content_type": "application/pdf",
    "size_bytes": 1234,
    "sha256": "0" * 64,
    "submitted_at": "2026-11-22T14:05:00+00:00",
}


def recorded(application: Correspondence) -> list[object]:
    return [
        data
        for notification in application.notification_log.select(start=1, limit=10)
        for _, data in translate(application.mapper.to_domain_event(notification))
    ]


def test_a_received_document_is_announced_with_its_download_path() -> None:
    application = Correspondence(env=POPO)
    document_id = uuid.uuid4()
    application.record_received(document_id, **FACTS)

    [announced] = recorded(application)
    assert isinstance(announced, DocumentSubmitted)
    assert announced.document_id == document_id
    assert announced.action_id == "estimate"
    assert announced.download_path == f"/api/v1/adjuster/claims/CL-1/documents/{document_id}"


def test_a_quarantined_document_is_not_announced() -> None:
    application = Correspondence(env=POPO)
    application.record_quarantined(uuid.uuid4(), signature="Eicar-Signature", **FACTS)
    assert recorded(application) == []


def test_a_message_is_announced_and_a_read_mark_is_not() -> None:
    application = Correspondence(env=POPO)
    message_id = uuid.uuid4()
    application.on_thread(
        "CL-1", "C-1", lambda thread: thread.post(message_id, "届きましたか", FACTS["submitted_at"])
    )
    application.on_thread(
        "CL-1", "C-1", lambda thread: thread.mark_read(str(uuid.uuid4()), FACTS["submitted_at"])
    )

    [announced] = recorded(application)
    assert isinstance(announced, CustomerMessagePosted)
    assert (announced.message_id, announced.text) == (message_id, "届きましたか")
    thread = application.thread("CL-1")
    assert thread is not None and thread.posted == [str(message_id)]
