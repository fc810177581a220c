"""The message board's rules with no server: what a message may hold, how the two sides of a
thread merge with their 既読 flags, what counts as unread, and when reading records a mark."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from claim_status.correspondence import Correspondence, Thread, translate
from claim_status.domain import ClaimDocument
from claim_status.messages import (
    MessageText,
    OwnMessage,
    newest_unread,
    read_up_to,
    thread,
    unread_messages,
)
from claims_shared.events import CustomerMessagePosted
from claims_shared.testing import POPO

TEXT: TypeAdapter[str] = TypeAdapter(MessageText)
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def claim(*messages: tuple[str, str], handler_read_up_to: str | None = None) -> ClaimDocument:
    """A claim document with the handler's messages (id, time), as the Claim folds them."""
    document: dict[str, Any] = {
        "closed": False,
        "messages": [
            {"message_id": message_id, "text": f"担当者より {message_id}", "at": at}
            for message_id, at in messages
        ],
    }
    if handler_read_up_to is not None:
        document["handler_read_up_to"] = handler_read_up_to
    return document  # type: ignore[return-value]


def own(message_id: str, at: str) -> OwnMessage:
    return {"message_id": message_id, "text": f"お客さまより {message_id}", "at": at}


def test_the_thread_is_oldest_first_with_both_sides_merged_by_time() -> None:
    document = claim(("h1", "2026-11-30T01:00:00+00:00"), ("h2", "2026-11-30T03:00:00+00:00"))
    mine = [own("c1", "2026-11-30T02:00:00+00:00"), own("c2", "2026-11-30T04:00:00+00:00")]

    merged = thread(document, mine, customer_read_up_to=None)

    assert [(m["message_id"], m["sender"]) for m in merged] == [
        ("h1", "handler"),
        ("c1", "customer"),
        ("h2", "handler"),
        ("c2", "customer"),
    ]


def test_read_marks_go_both_ways() -> None:
    """The handler read up to c1 (c2 came later); the customer had read h1, not h2."""
    document = claim(
        ("h1", "2026-11-30T01:00:00+00:00"),
        ("h2", "2026-11-30T05:00:00+00:00"),
        handler_read_up_to="c1",
    )
    mine = [own("c1", "2026-11-30T02:00:00+00:00"), own("c2", "2026-11-30T03:00:00+00:00")]

    merged = {m["message_id"]: m["read"] for m in thread(document, mine, "h1")}

    assert merged == {"h1": True, "c1": True, "c2": False, "h2": False}


def test_a_read_mark_naming_a_message_not_yet_seen_marks_nothing() -> None:
    document = claim(handler_read_up_to="c-not-projected-yet")

    [mine] = thread(document, [own("c1", "2026-11-30T02:00:00+00:00")], None)

    assert mine["read"] is False


def test_unread_counts_the_handlers_messages_after_the_customers_mark() -> None:
    document = claim(*((f"h{n}", f"2026-11-30T0{n}:00:00+00:00") for n in (1, 2, 3)))

    assert unread_messages(document, None) == 3
    assert unread_messages(document, "h2") == 1
    assert unread_messages(document, "h3") == 0
    assert unread_messages(claim(), None) == 0


def test_reading_records_a_mark_only_when_something_new_was_read() -> None:
    document = claim(("h1", "2026-11-30T01:00:00+00:00"), ("h2", "2026-11-30T02:00:00+00:00"))
    assert newest_unread(document, None) == "h2"
    assert newest_unread(document, "h2") is None
    assert newest_unread(claim(), None) is None

    application = Correspondence(env=POPO)
    marked = [
        application.on_thread("CL-1", "C-1", partial(read_up_to, message_id=up_to, now=NOW))
        for up_to in ("h1", "h2", "h2")
    ]

    assert marked == [True, True, False]
    stored = application.thread("CL-1")
    assert stored is not None and stored.read_up_to == "h2"
    events = application.notification_log.select(start=1, limit=10)
    kinds = [type(application.mapper.to_domain_event(n)).__name__ for n in events]
    assert kinds == ["Started", "MessagesRead", "MessagesRead"]


def test_a_posted_message_is_announced_once_and_a_read_mark_not_at_all() -> None:
    application = Correspondence(env=POPO)
    message_id = uuid.uuid4()
    application.on_thread(
        "CL-1", "C-1", lambda t: t.post(message_id, "<b>至急</b>", "2026-11-30T06:00:00+00:00")
    )
    application.on_thread("CL-1", "C-1", lambda t: read_up_to(t, "h1", NOW))

    announced = [
        data
        for notification in application.notification_log.select(start=1, limit=10)
        for _, data in translate(application.mapper.to_domain_event(notification))
    ]

    assert announced == [
        CustomerMessagePosted(
            claim_id="CL-1",
            customer_id="C-1",
            message_id=message_id,
            text="<b>至急</b>",
            posted_at=datetime(2026, 11, 30, 6, 0, tzinfo=UTC),
        )
    ]
    assert isinstance(application.thread("CL-1"), Thread)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  ＡＢＣ１２３ よろしくお願いします\u3000", "ABC123 よろしくお願いします"),
        ("一行目\r\n二行目\r三行目", "一行目\n二行目\n三行目"),
        (
            "<script>alert(1)</script> https://example.jp",
            "<script>alert(1)</script> https://example.jp",
        ),
        ("あ" * 2000, "あ" * 2000),
    ],
)
def test_a_message_is_nfkc_trimmed_text(typed: str, kept: str) -> None:
    assert TEXT.validate_python(typed) == kept


@pytest.mark.parametrize(
    "refused",
    ["", " \n\u3000 ", "あ" * 2001, "タブ\tは不可", "ベル\x07", "NUL\x00", "C1\x85制御文字"],
)
def test_a_message_that_is_empty_too_long_or_holds_control_characters_is_refused(
    refused: str,
) -> None:
    with pytest.raises(ValidationError):
        TEXT.validate_python(refused)
