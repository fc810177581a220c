"""Every event claim-status stores is written by the orjson transcoder byte for byte as the json
module wrote it, and every row the json module wrote reads back as the same event: a claim's
updates of every kind, its registration, the documents and the message threads. No database
(the round trip through PostgreSQL is shared/tests/test_event_store.py's)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import get_topic
from test_claim_document import STORY

from claim_status.application import Claims
from claim_status.correspondence import Correspondence, Document, Thread
from claim_status.domain import UPDATE_KINDS, Claim
from claims_shared.events import AdjusterUpdate
from claims_shared.settings import eventsourcing_env
from claims_shared.transcoder import OrjsonTranscoder

EVERY_KIND: list[tuple[str, dict[str, Any]]] = [
    ("claim_opened", {**STORY[0][1], "claim_number": "2026-0000123", "vehicle": "プリウス"}),
    *STORY[1:8],
    (
        "payment_scheduled",
        {
            **STORY[8][1],
            "payee": {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "1234"},
            "breakdown": [{"item": "修理費", "amount": 400000}, {"item": "免責", "amount": -50000}],
        },
    ),
    *STORY[9:],
    (
        "document_reviewed",
        {"document_id": str(uuid.UUID(int=3)), "result": "resubmit", "reason": "金額が読めません"},
    ),
    (
        "message_to_customer",
        {"message_id": str(uuid.UUID(int=4)), "text": "ご連絡ください。\n平日"},
    ),
    ("customer_messages_read", {"up_to": str(uuid.UUID(int=4))}),
    ("claim_completed", {"completed_on": "2026-11-20"}),
    ("payment_deadline_extended", {"reason": "expert_examination", "coverage": "own_vehicle"}),
]
"""test_claim_document's story (every kind an earlier release stored) with the optional fields
and the kinds that came later."""

STARTED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def claim_events() -> list[Aggregate.Event]:
    claim = Claim("CL-1")
    for sequence, (kind, data) in enumerate(EVERY_KIND, start=1):
        claim.apply_update(
            AdjusterUpdate.of(
                update_id=str(uuid.UUID(int=sequence)),
                claim_id="CL-1",
                sequence=sequence,
                occurred_at=(STARTED + timedelta(minutes=sequence)).isoformat(),
                adjuster_id="ADJ-1",
                type=kind,
                data=data,
            )
        )
    return list(claim.collect_events())


def correspondence_events() -> list[Aggregate.Event]:
    facts: dict[str, Any] = {
        "claim_id": "CL-1",
        "customer_id": "C-1",
        "action_id": None,
        "file_name": "見積書 (1).pdf",
        "content_type": "application/pdf",
        "size_bytes": 48213,
        "sha256": "ab" * 32,
        "submitted_at": STARTED.isoformat(),
    }
    received = Document.receive(uuid.UUID(int=3), **{**facts, "action_id": "estimate"})
    quarantined = Document.quarantine(uuid.UUID(int=5), signature="Eicar-Signature", **facts)
    thread = Thread.start("CL-1", "C-1")
    thread.post(uuid.UUID(int=6), "レッカー代も対象ですか？", STARTED.isoformat())
    thread.mark_read(str(uuid.UUID(int=4)), STARTED.isoformat())
    return [e for a in (received, quarantined, thread) for e in a.collect_events()]


def every_event() -> list[tuple[Application[uuid.UUID], Aggregate.Event]]:
    return [(Claims(), e) for e in claim_events()] + [
        (Correspondence(), e) for e in correspondence_events()
    ]


def attributes(event: Aggregate.Event) -> str:
    """An event's attributes with their types (repr), in name order."""
    return repr(sorted(vars(event).items()))


def test_the_samples_hold_every_kind_of_update_and_every_event_type() -> None:
    assert {kind for kind, _ in EVERY_KIND} == set(UPDATE_KINDS)
    types = {type(event) for _, event in every_event()}
    assert types == {
        Claim.Registered,
        Claim.UpdateApplied,
        Document.Received,
        Document.Quarantined,
        Thread.Started,
        Thread.MessagePosted,
        Thread.MessagesRead,
    }


@pytest.mark.parametrize(
    ("application", "event"), every_event(), ids=lambda v: getattr(v, "kind", type(v).__name__)
)
def test_every_event_is_stored_as_before_and_a_stored_one_reads_back_the_same(
    application: Application[uuid.UUID], event: Aggregate.Event
) -> None:
    topic = eventsourcing_env("postgresql://claims@127.0.0.1/claims")["TRANSCODER_TOPIC"]
    now = type(application)(env={"TRANSCODER_TOPIC": topic})
    before = type(application)(env={"TRANSCODER_TOPIC": get_topic(JSONTranscoder)})
    assert isinstance(now.mapper.transcoder, OrjsonTranscoder)
    assert type(before.mapper.transcoder) is JSONTranscoder

    stored = before.mapper.to_stored_event(event)
    assert now.mapper.to_stored_event(event) == stored
    read = now.mapper.to_domain_event(stored)
    assert type(read) is type(event)
    assert attributes(read) == attributes(before.mapper.to_domain_event(stored))
    assert attributes(read) == attributes(event)
