"""Mails through the real SMTP server: what they say, in which language, exactly once, and what
happens when the mail server keeps refusing."""

import asyncio
import uuid
from typing import Any

import httpx

from claims_shared.events import (
    AccountLocked,
    ClaimStatusChanged,
    PasswordChanged,
    SignedInFromNewDevice,
)
from claims_shared.passwords import seal_for_notifier
from claims_shared.settings import DEVELOPMENT_SEALING_PRIVATE_KEY
from devinfra.paths import free_port
from devinfra.testing import ManualClock, eventually, find_envelopes, in_process
from notifier.admin import generate_sealing_key
from notifier.main import build
from notifier_harness import (
    EXPIRES,
    NotifierService,
    notifier_settings,
    registered,
    temporary_password_issued,
    unique_email,
)


def locked_out(email: str) -> AccountLocked:
    return AccountLocked(
        user_id=uuid.uuid4(),
        customer_id="C1",
        email=email,
        locked_until=EXPIRES,
        failed_attempts=10,
    )


async def one_mail(notifier: NotifierService, email: str) -> dict[str, Any]:
    mails = await eventually(lambda: notifier.mails_to(email))
    assert len(mails) == 1
    return mails[0]


async def test_the_temporary_password_is_mailed_with_its_expiry_and_the_steps(
    notifier: NotifierService,
) -> None:
    email = unique_email()
    event = registered(email, "Tmp7kQ2xZp9a")
    await notifier.publish(event, event.customer_id)
    mail = await one_mail(notifier, email)
    assert mail["subject"] == "【お客さまWebサービス】仮パスワードのお知らせ"
    assert "仮パスワード：Tmp7kQ2xZp9a" in mail["text"]
    assert "有効期限：2026年11月26日 10:00" in mail["text"]
    assert "パスワード変更画面" in mail["text"]
    assert "ブックマークまたは当社ホームページからご自身で開きます" in mail["text"]
    assert "http" not in mail["text"], "no link to a log-in form: the customer opens the site"


async def test_english_accounts_get_english_mail(notifier: NotifierService) -> None:
    email = unique_email()
    event = registered(email, "Tmp7kQ2xZp9a", language="en")
    await notifier.publish(event, event.customer_id)
    mail = await one_mail(notifier, email)
    assert mail["subject"] == "[Customer web service] Your temporary password"
    assert "Valid until: 2026-11-26 10:00 (Japan time)" in mail["text"]


async def test_a_simple_registration_sends_the_registration_complete_mail(
    notifier: NotifierService,
) -> None:
    """No password in it (the customer chose their own); a postcard's owner who did not register
    learns of it and whom to call."""
    email = unique_email()
    quiet = registered(email, None)
    await notifier.publish(quiet, quiet.customer_id)
    changed = PasswordChanged(user_id=quiet.user_id, customer_id=quiet.customer_id, email=email)
    await notifier.publish(changed, quiet.customer_id)  # consumed after the registration

    async def both() -> list[dict[str, Any]]:
        mails = await notifier.mails_to(email)
        return mails if len(mails) >= 2 else []

    mails = await eventually(both)
    subjects = sorted(m["subject"] for m in mails)
    assert subjects == [
        "【お客さまWebサービス】パスワード変更のお知らせ",
        "【お客さまWebサービス】登録完了のお知らせ",
    ]
    complete = next(m for m in mails if "登録完了" in m["subject"])
    assert "ご登録が完了しました" in complete["text"]
    assert "お心当たりのない場合" in complete["text"]
    assert "お問い合わせ窓口（0120-000-000）へご連絡ください" in complete["text"]
    assert "ブックマークまたは当社ホームページから" in complete["text"]
    assert "http" not in complete["text"]
    assert "仮パスワード" not in complete["text"]


async def test_the_registration_complete_mail_in_english(notifier: NotifierService) -> None:
    email = unique_email()
    quiet = registered(email, None, language="en")
    await notifier.publish(quiet, quiet.customer_id)
    mail = await one_mail(notifier, email)
    assert mail["subject"] == "[Customer web service] Your registration is complete"
    assert "If this was not you" in mail["text"]
    assert "please contact us (0120-000-000" in mail["text"]


async def test_the_reset_mail_says_the_current_password_still_works(
    notifier: NotifierService,
) -> None:
    """A reset only adds a temporary password beside the current one (identity's domain): the
    mail must not tell someone who did not ask that they are locked out."""
    email = unique_email()
    event = temporary_password_issued(email, "Reset5kQ2xZp", customer_id="C2")
    await notifier.publish(event, "C2")
    mail = await one_mail(notifier, email)
    assert mail["subject"] == "【お客さまWebサービス】仮パスワード再発行のお知らせ"
    assert "これまでのパスワードは引き続きご利用いただけます" in mail["text"]
    assert "ログインできなくなって" not in mail["text"]


async def test_a_log_in_from_a_new_device_is_told_with_what_to_do_and_no_link(
    notifier: NotifierService,
) -> None:
    """The device in words and the time in Japan time (never an address or a place), and, if it
    was not the customer, the steps: open the site themselves and change the password, call."""
    email, english = unique_email(), unique_email()
    for address, device, language in (
        (email, "Android の Chrome", "ja"),
        (english, "Chrome on Android", "en"),
    ):
        await notifier.publish(
            SignedInFromNewDevice(
                user_id=uuid.uuid4(),
                customer_id="C3",
                email=address,
                device=device,
                at=EXPIRES,
                language=language,
            ),
            "C3",
        )
    mail = await one_mail(notifier, email)
    assert mail["subject"] == "【お客さまWebサービス】新しい端末からのログインのお知らせ"
    assert "端末：Android の Chrome" in mail["text"]
    assert "ログイン日時：2026年11月26日 10:00（日本時間、おおよその時刻）" in mail["text"]
    assert "ご自身で入力したアドレスからお客さまWebサービスを開き、パスワードを変更" in mail["text"]
    assert "お問い合わせ窓口（0120-000-000）へお電話" in mail["text"]
    assert "http" not in mail["text"]
    in_english = await one_mail(notifier, english)
    assert in_english["subject"] == "[Customer web service] A log-in from a new device"
    assert "Device: Chrome on Android" in in_english["text"]
    assert "2026-11-26 10:00 (Japan time), approximately" in in_english["text"]
    assert "Call us (0120-000-000)" in in_english["text"]


async def test_a_redelivered_event_sends_nothing_more(notifier: NotifierService) -> None:
    email = unique_email()
    event = temporary_password_issued(email, "Reset5kQ2xZp", customer_id="C1")
    event_id = uuid.uuid4()
    for _ in range(3):
        await notifier.publish(event, "C1", event_id)
    marker = unique_email()
    await notifier.publish(locked_out(marker), "C1")
    locked = await one_mail(notifier, marker)
    assert "ログインを一時停止しました" in locked["subject"]
    assert len(await notifier.mails_to(email)) == 1
    assert "Reset5kQ2xZp" in (await notifier.mails_to(email))[0]["text"]


async def test_the_lock_out_mail_and_the_log_in_pages_desk_are_one_setting(
    notifier: NotifierService,
) -> None:
    """The log-in page tells a locked customer whom to call from GET /api/v1/contact-desk: the
    desk the lock-out mail names (NOTIFIER_CONTACT_DESK), public, set once by the insurer."""
    email = unique_email()
    await notifier.publish(locked_out(email), "C1")
    transport = httpx.ASGITransport(app=notifier.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as anyone:
        answer = await anyone.get("/api/v1/contact-desk")
    assert answer.status_code == 200
    assert answer.json() == {"desk": "0120-000-000"}
    mail = await one_mail(notifier, email)
    assert f"お問い合わせ窓口（{answer.json()['desk']}）へご連絡ください" in mail["text"]


async def test_a_status_change_mail_holds_no_claim_details(notifier: NotifierService) -> None:
    """Only the link to the accident names it; no stage, no note."""
    email = unique_email()
    customer = registered(email, None)
    await notifier.publish(customer, customer.customer_id)
    await eventually(lambda: notifier.customer_known(customer.customer_id))
    change = ClaimStatusChanged(
        claim_id="CL-2026-SECRET-42",
        customer_id=customer.customer_id,
        change="stage_changed",
        stage="negotiating",
        sequence=4,
    )
    await notifier.publish(change, change.claim_id)
    mail = await one_status_mail(notifier, email)
    assert "対応状況が更新されました" in mail["subject"]
    assert "示談" not in mail["text"]
    assert "CL-2026-SECRET-42" not in mail["text"] and "http" not in mail["text"]
    assert "ログインし、事故一覧で対象の事故をご確認ください" in mail["text"]


async def one_status_mail(notifier: NotifierService, email: str) -> dict[str, Any]:
    """The one "status updated" mail (beside the registration-complete mail)."""

    async def status_mails() -> list[dict[str, Any]]:
        return [m for m in await notifier.mails_to(email) if "対応状況" in m["subject"]]

    mails = await eventually(status_mails)
    assert len(mails) == 1
    return mails[0]


async def changes_on(
    notifier: NotifierService, customer_id: str, claim_id: str, *changes: str
) -> None:
    """The claim's ClaimStatusChanged events, one per change in this order (sequence 2 on)."""
    for sequence, change in enumerate(changes, start=2):
        await notifier.publish(
            ClaimStatusChanged(
                claim_id=claim_id,
                customer_id=customer_id,
                change=change,  # type: ignore[arg-type]
                stage="investigating",
                sequence=sequence,
            ),
            claim_id,
        )


async def test_restarting_mid_stream_sends_each_mail_once(
    infrastructure: Any, database_url: str
) -> None:
    settings = notifier_settings(infrastructure, database_url)
    emails = [unique_email() for _ in range(12)]
    service = NotifierService(
        build(settings),
        settings,
        infrastructure.kafka_bootstrap_servers,
        infrastructure.mail_web_url,
    )
    for email in emails:
        await service.publish(
            PasswordChanged(user_id=uuid.uuid4(), customer_id="C9", email=email), "C9"
        )

    async def some_sent() -> bool:
        return sum([bool(await service.mails_to(e)) for e in emails]) >= 3

    async with in_process(build(settings)):
        await eventually(some_sent, interval=0.05)
    async with in_process(build(settings)):

        async def all_sent() -> bool:
            return all([await service.mails_to(e) for e in emails])

        await eventually(all_sent)
        await asyncio.sleep(1.0)
    counts = [len(await service.mails_to(e)) for e in emails]
    assert counts == [1] * 12


async def test_a_refusing_mail_server_ends_in_the_dlq_after_the_limit(
    infrastructure: Any, database_url: str
) -> None:
    settings = notifier_settings(
        infrastructure,
        database_url,
        smtp_port=free_port(),
        max_send_attempts=3,
        send_retry_seconds=0.05,
    )
    email = unique_email()
    event = PasswordChanged(user_id=uuid.uuid4(), customer_id="C7", email=email)
    app = build(settings)
    async with in_process(app) as client:
        service = NotifierService(
            app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
        )
        await service.publish(event, "C7")
        dead = await find_envelopes(
            service.bootstrap,
            settings.kafka_topic_prefix + "identity.events.dlq",
            lambda e: e["data"]["email"] == email,
        )
        metrics = (await client.get("/metrics")).text
    assert len(dead) == 1
    assert 'notifier_mail_failures_total{kind="password_changed"}' in metrics
    assert await service.mails_to(email) == []


async def test_minor_claim_changes_send_no_mail(notifier: NotifierService) -> None:
    email = unique_email()
    customer = registered(email, None)
    await notifier.publish(customer, customer.customer_id)
    await eventually(lambda: notifier.customer_known(customer.customer_id))
    await changes_on(notifier, customer.customer_id, "CL-9", "coverage_updated", "stage_changed")
    mail = await one_status_mail(notifier, email)  # the stage change
    assert "対応状況が更新されました" in mail["subject"]
    await asyncio.sleep(1.0)
    assert len(await notifier.mails_to(email)) == 2  # and the registration-complete mail


async def test_during_a_sealing_key_rotation_both_keys_open(
    infrastructure: Any, database_url: str
) -> None:
    """The notifier moved to a new key first; passwords sealed to the old one are in flight."""
    new_private, new_public = generate_sealing_key()
    settings = notifier_settings(
        infrastructure,
        database_url,
        sealing_private_key=new_private,
        previous_sealing_private_keys=DEVELOPMENT_SEALING_PRIVATE_KEY,
    )
    app = build(settings, clock=ManualClock())
    rotated = NotifierService(
        app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
    )
    async with in_process(app):
        old_sealed = registered(unique_email(), "OldKey7kQ2xZ")
        new_sealed = registered(unique_email(), "NewKey7kQ2xZ").model_copy(
            update={"sealed_temporary_password": seal_for_notifier("NewKey7kQ2xZ", new_public)}
        )
        for event in (old_sealed, new_sealed):
            await rotated.publish(event, event.customer_id)
        assert "仮パスワード：OldKey7kQ2xZ" in (await one_mail(rotated, old_sealed.email))["text"]
        assert "仮パスワード：NewKey7kQ2xZ" in (await one_mail(rotated, new_sealed.email))["text"]


async def test_a_mail_to_more_than_one_mailbox_goes_to_the_dlq_unsent(
    notifier: NotifierService,
) -> None:
    """Whatever an upstream check let through, a mail goes to exactly one mailbox."""
    first, second = unique_email(), unique_email()
    for address in (f"{first}, {second}", f"{first};{second}", f"Hanako <{first}>, {second}"):
        await notifier.publish(
            PasswordChanged(user_id=uuid.uuid4(), customer_id="C5", email=address), "C5"
        )
    dead = await find_envelopes(
        notifier.bootstrap,
        notifier.settings.kafka_topic_prefix + "identity.events.dlq",
        lambda e: first in e["data"]["email"],
        expected=3,
    )
    assert len(dead) == 3
    marker = unique_email()
    await notifier.publish(
        PasswordChanged(user_id=uuid.uuid4(), customer_id="C5", email=marker), "C5"
    )
    await one_mail(notifier, marker)  # consumed after the three
    assert await notifier.mails_to(first) == [] and await notifier.mails_to(second) == []


async def test_a_registration_to_two_mailboxes_records_no_customer(
    notifier: NotifierService,
) -> None:
    """Its temporary password is not sent, and no later status mail can go to both."""
    first, second = unique_email(), unique_email()
    event = registered(f"{first},{second}", "Tmp7kQ2xZp9a")
    await notifier.publish(event, event.customer_id)
    dead = await find_envelopes(
        notifier.bootstrap,
        notifier.settings.kafka_topic_prefix + "registration.events.dlq",
        lambda e: e["data"]["customer_id"] == event.customer_id,
    )
    assert len(dead) == 1
    assert not await notifier.customer_known(event.customer_id)
    assert await notifier.mails_to(first) == [] and await notifier.mails_to(second) == []


async def test_a_handlers_message_mails_a_new_message_notice_without_its_text(
    notifier: NotifierService,
) -> None:
    """The change carries no text, and the mail has none: it says there is a message and links
    to the accident's thread. A stage change in the same burst still sends its own mail."""
    email = unique_email()
    customer = registered(email, None, language="en")
    await notifier.publish(customer, customer.customer_id)
    await eventually(lambda: notifier.customer_known(customer.customer_id))
    await changes_on(
        notifier,
        customer.customer_id,
        "CL-MSG-7",
        "message_to_customer",
        "stage_changed",
        "message_to_customer",
        "customer_messages_read",
    )

    async def notices() -> list[dict[str, Any]]:
        mails = [m for m in await notifier.mails_to(email) if "complete" not in m["subject"]]
        return mails if len(mails) >= 2 else []

    mails = await eventually(notices)
    await asyncio.sleep(1.0)  # the window (0.5 s) has passed: nothing more comes
    assert sorted(m["subject"] for m in await notifier.mails_to(email)) == [
        "[Customer web service] You have a new message",
        "[Customer web service] Your accident's handling status was updated",
        "[Customer web service] Your registration is complete",
    ]
    message = next(m for m in mails if "new message" in m["subject"])
    assert 'The message is under "Messages with your handler"' in message["text"]
    assert "CL-MSG-7" not in message["text"] and "http" not in message["text"]
    assert "it holds no link and no part of the message" in message["text"]
