"""Adding or removing a passkey is mailed at once as a security notice, in the account's
language, naming the passkey and whom to call, with no link (a mail that links to a sign-in
form is what phishing looks like)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from claims_shared.events import PasskeyAdded, PasskeyDisabled, PasskeyRemoved
from notifier.main import wire
from notifier.settings import NotifierSettings
from notifier_fakes import FakeMailSender, deliver, in_memory_ports

AT = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)


async def mailed(event: PasskeyAdded | PasskeyRemoved | PasskeyDisabled) -> FakeMailSender:
    ports = in_memory_ports()
    notifications = wire(NotifierSettings(contact_desk="0120-000-000"), ports)
    await deliver(notifications.routes(), event, event.customer_id, str(uuid.uuid4()))
    assert isinstance(ports.sender, FakeMailSender)
    return ports.sender


def passkey_event(
    kind: type[PasskeyAdded | PasskeyRemoved | PasskeyDisabled], language: str
) -> PasskeyAdded:
    return kind(  # type: ignore[return-value]
        user_id=uuid.uuid4(),
        customer_id="C-0001",
        email="taro@example.jp",
        name="仕事用のiPhone",
        at=AT,
        language=language,
    )


async def test_a_passkey_added_is_mailed_in_japanese_with_its_name_and_time() -> None:
    sender = await mailed(passkey_event(PasskeyAdded, "ja"))

    [mail] = sender.mails
    assert (mail.to, mail.subject) == (
        "taro@example.jp",
        "【お客さまWebサービス】パスキー登録のお知らせ",
    )
    assert "パスキーの名前：仕事用のiPhone" in mail.text
    assert "登録日時：2026年11月25日 10:30" in mail.text
    assert "（0120-000-000）" in mail.text


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (PasskeyAdded, "[Customer web service] A passkey was added"),
        (PasskeyRemoved, "[Customer web service] A passkey was removed"),
        (PasskeyDisabled, "[Customer web service] A passkey was disabled (important)"),
    ],
)
async def test_passkey_notices_in_english_carry_no_link(
    kind: type[PasskeyAdded | PasskeyRemoved | PasskeyDisabled], subject: str
) -> None:
    sender = await mailed(passkey_event(kind, "en"))

    [mail] = sender.mails
    assert mail.subject == subject
    assert "2026-11-25 10:30 (Japan time)" in mail.text
    assert "contact us (0120-000-000)" in mail.text
    assert "http" not in mail.text


async def test_a_passkey_disabled_as_a_copy_is_mailed_with_what_to_do_and_whom_to_call() -> None:
    """identity disabled it at a sign-in whose sign count went back (a cloned credential)."""
    sender = await mailed(passkey_event(PasskeyDisabled, "ja"))

    [mail] = sender.mails
    assert mail.subject == "【お客さまWebサービス】パスキー無効化のお知らせ（重要）"
    assert "複製されたおそれのあるログインを検知しました" in mail.text
    assert "パスキーの名前：仕事用のiPhone" in mail.text
    assert "無効にした日時：2026年11月25日 10:30" in mail.text
    assert "パスワードでログインし、パスキーの一覧から削除してください" in mail.text
    assert "お問い合わせ窓口（0120-000-000）へご連絡ください" in mail.text
    assert "http" not in mail.text
