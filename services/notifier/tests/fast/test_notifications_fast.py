"""Which mail goes to whom, for each event the notifier hears: the notifier's dispatch table with
its ports in memory (notifier_fakes), delivered as the consumer runner delivers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from claims_shared.events import (
    AccountLocked,
    ClaimStatusChanged,
    PasswordChanged,
    UserRegistered,
)
from claims_shared.kafka import UnprocessableMessage
from claims_shared.passwords import seal_for_notifier
from claims_shared.settings import DEVELOPMENT_SEALING_PUBLIC_KEY
from notifier.admin import generate_sealing_key
from notifier.handlers import NotificationService
from notifier.mails import compose
from notifier.main import NotifierPorts, wire
from notifier.settings import NotifierSettings
from notifier_fakes import (
    FakeMailSender,
    InMemoryCustomers,
    InMemoryNotices,
    deliver,
    in_memory_ports,
)
from notifier_harness import EXPIRES, temporary_password_issued


@dataclass
class Notifier:
    notifications: NotificationService
    ports: NotifierPorts

    async def hear(self, data: Any, event_id: str = "") -> None:
        await deliver(self.notifications.routes(), data, data.customer_id, event_id)

    @property
    def sender(self) -> FakeMailSender:
        assert isinstance(self.ports.sender, FakeMailSender)
        return self.ports.sender

    @property
    def notices(self) -> InMemoryNotices:
        assert isinstance(self.ports.notices, InMemoryNotices)
        return self.ports.notices

    @property
    def customers(self) -> InMemoryCustomers:
        assert isinstance(self.ports.customers, InMemoryCustomers)
        return self.ports.customers


def notifier_with(**settings: Any) -> Notifier:
    ports = in_memory_ports()
    return Notifier(wire(NotifierSettings(**settings), ports), ports)


@pytest.fixture
def notifier() -> Notifier:
    return notifier_with(contact_desk="0120-000-000")


def registered(sealed: str | None = None, **overrides: Any) -> UserRegistered:
    fields: dict[str, Any] = dict(
        user_id=uuid.uuid4(),
        customer_id=f"C{uuid.uuid4().hex[:8]}",
        email="misaki@example.jp",
        policy_numbers=["A2026000004"],
        password_hash="$argon2id$not-read-here",
        must_change_password=sealed is not None,
        registration_method="details" if sealed else "procedure_code",
        sealed_temporary_password=sealed,
        temporary_password_expires_at=EXPIRES if sealed else None,
    )
    return UserRegistered(**{**fields, **overrides})


def status_changed(customer_id: str, change: str = "stage_changed", **fields: Any) -> Any:
    return ClaimStatusChanged(
        **{
            "claim_id": "CL-0001",
            "customer_id": customer_id,
            "change": change,
            "stage": "investigating",
            "sequence": 2,
            **fields,
        }
    )


async def test_simple_registration_mails_that_registration_is_complete(
    notifier: Notifier,
) -> None:
    await notifier.hear(registered())

    [mail] = notifier.sender.mails
    assert mail.to == "misaki@example.jp"
    assert mail.subject == "【お客さまWebサービス】登録完了のお知らせ"
    assert "0120-000-000" in mail.text


async def test_new_registration_mails_the_temporary_password_in_the_customers_language(
    notifier: Notifier,
) -> None:
    sealed = seal_for_notifier("Kq7-temporary", DEVELOPMENT_SEALING_PUBLIC_KEY)

    await notifier.hear(registered(sealed, language="en"))

    [mail] = notifier.sender.mails
    assert mail.subject == "[Customer web service] Your temporary password"
    assert "Temporary password: Kq7-temporary" in mail.text
    assert "Valid until: 2026-11-26 10:00 (Japan time)" in mail.text


async def test_a_registration_heard_twice_mails_once(notifier: Notifier) -> None:
    event, event_id = registered(), str(uuid.uuid4())

    await notifier.hear(event, event_id)
    await notifier.hear(event, event_id)

    assert len(notifier.sender.mails) == 1


async def test_a_password_sealed_with_a_key_being_retired_still_opens() -> None:
    old_private, old_public = generate_sealing_key()
    notifier = notifier_with(previous_sealing_private_keys=f" {old_private} ,")

    await notifier.hear(registered(seal_for_notifier("Kq7-old-key", old_public)))

    assert "Kq7-old-key" in notifier.sender.mails[0].text


async def test_a_password_no_key_of_ours_opens_is_refused_and_nothing_is_mailed(
    notifier: Notifier,
) -> None:
    _, stranger = generate_sealing_key()

    with pytest.raises(UnprocessableMessage, match="does not open with our keys"):
        await notifier.hear(registered(seal_for_notifier("Kq7-lost", stranger)))

    assert notifier.sender.mails == []


async def test_an_address_that_is_not_one_mailbox_is_refused_and_nobody_is_mailed(
    notifier: Notifier,
) -> None:
    two = registered(email="misaki@example.jp, thief@example.com")

    with pytest.raises(UnprocessableMessage, match="not exactly one mailbox"):
        await notifier.hear(two)

    assert notifier.sender.mails == []
    assert notifier.customers.customers == {}


async def test_a_password_reset_mails_the_new_temporary_password(notifier: Notifier) -> None:
    issued = temporary_password_issued("taro@example.jp", "Kq7-reset", customer_id="C-0001")

    await notifier.hear(issued)

    [mail] = notifier.sender.mails
    assert (mail.to, mail.subject) == (
        "taro@example.jp",
        "【お客さまWebサービス】仮パスワード再発行のお知らせ",
    )
    assert "Kq7-reset" in mail.text


async def test_a_password_change_is_confirmed_to_the_account_holder(notifier: Notifier) -> None:
    await notifier.hear(
        PasswordChanged(user_id=uuid.uuid4(), customer_id="C-0001", email="taro@example.jp")
    )

    [mail] = notifier.sender.mails
    assert (mail.to, mail.subject) == (
        "taro@example.jp",
        "【お客さまWebサービス】パスワード変更のお知らせ",
    )


async def test_a_lock_out_tells_when_log_in_opens_again_and_whom_to_call(
    notifier: Notifier,
) -> None:
    locked = AccountLocked(
        user_id=uuid.uuid4(),
        customer_id="C-0001",
        email="taro@example.jp",
        locked_until=EXPIRES,
        failed_attempts=10,
        language="en",
    )

    await notifier.hear(locked)

    [mail] = notifier.sender.mails
    assert mail.subject == "[Customer web service] Log-in paused for your safety"
    assert "Log-in opens again at: 2026-11-26 10:00 (Japan time)" in mail.text
    assert "please contact us (0120-000-000)" in mail.text


async def test_a_burst_of_status_changes_waits_as_one_notice(notifier: Notifier) -> None:
    event = registered()
    await notifier.hear(event)

    for sequence in (2, 3, 4):
        await notifier.hear(status_changed(event.customer_id, sequence=sequence))

    [notice] = notifier.notices.waiting.values()
    assert (notice.claim_id, notice.changes, notice.window_seconds) == ("CL-0001", 3, 60.0)


async def test_a_status_change_heard_twice_counts_once(notifier: Notifier) -> None:
    event, event_id = registered(), str(uuid.uuid4())
    await notifier.hear(event)

    await notifier.hear(status_changed(event.customer_id), event_id)
    await notifier.hear(status_changed(event.customer_id), event_id)

    assert [n.changes for n in notifier.notices.waiting.values()] == [1]


async def test_a_policyholder_without_an_account_gets_no_status_notice(
    notifier: Notifier,
) -> None:
    await notifier.hear(status_changed("C-no-account"))

    assert notifier.notices.waiting == {}


async def test_a_change_not_worth_a_mail_schedules_nothing(notifier: Notifier) -> None:
    event = registered()
    await notifier.hear(event)

    await notifier.hear(status_changed(event.customer_id, change="coverage_updated"))

    assert notifier.notices.waiting == {}


async def test_a_handlers_message_waits_as_a_notice_of_its_own(notifier: Notifier) -> None:
    """Messages join each other, never the status notice: a burst with a stage change and two
    messages mails "status updated" once and "new message" once."""
    event = registered()
    await notifier.hear(event)

    for sequence, change in enumerate(
        ("stage_changed", "message_to_customer", "message_to_customer"), start=2
    ):
        await notifier.hear(status_changed(event.customer_id, change=change, sequence=sequence))

    waiting = sorted((n.kind, n.changes) for n in notifier.notices.waiting.values())
    assert waiting == [("claim_status_changed", 1), ("new_message", 2)]


async def test_a_document_review_joins_the_status_notice(notifier: Notifier) -> None:
    """A review may ask for the document again (resubmit), and the change does not say which."""
    event = registered()
    await notifier.hear(event)

    await notifier.hear(status_changed(event.customer_id, change="stage_changed"))
    await notifier.hear(status_changed(event.customer_id, change="document_reviewed", sequence=3))

    [notice] = notifier.notices.waiting.values()
    assert (notice.kind, notice.changes) == ("claim_status_changed", 2)


async def test_the_handlers_read_mark_mails_nothing(notifier: Notifier) -> None:
    event = registered()
    await notifier.hear(event)

    await notifier.hear(status_changed(event.customer_id, change="customer_messages_read"))

    assert notifier.notices.waiting == {}


@pytest.mark.parametrize(
    ("language", "subject", "read_it"),
    [
        (
            "ja",
            "【お客さまWebサービス】新着メッセージがあります",
            "「担当者とのメッセージ」に表示され",
        ),
        (
            "en",
            "[Customer web service] You have a new message",
            'under "Messages with your handler"',
        ),
    ],
)
def test_the_new_message_mail_says_where_the_thread_is_in_the_customers_language(
    language: str, subject: str, read_it: str
) -> None:
    mail = compose("new_message", language, "taro@example.jp")

    assert mail.subject == subject
    assert read_it in mail.text
    assert "/accidents/" not in mail.text and "http" not in mail.text
