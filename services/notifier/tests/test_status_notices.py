""" "Status updated" notices: one mail per claim per burst of adjusters' updates, linking straight
to the accident, kept in the notifier's database until sent (a kill -9 loses none)."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg

from claims_shared.events import ClaimStatusChanged
from claims_shared.events.claims import UpdateType
from devinfra import kafka_clients
from devinfra.paths import free_port
from devinfra.testing import eventually, in_process
from notifier.main import build
from notifier_harness import (
    WHERE_TO_LOOK,
    NotifierService,
    notifier_settings,
    registered,
    unique_email,
)


def changed(
    claim_id: str, customer_id: str, sequence: int, change: UpdateType = "stage_changed"
) -> ClaimStatusChanged:
    return ClaimStatusChanged(
        claim_id=claim_id,
        customer_id=customer_id,
        change=change,
        stage="investigating",
        sequence=sequence,
    )


async def known_customer(service: NotifierService, email: str, language: str = "ja") -> str:
    customer = registered(email, None, language=language)
    await service.publish(customer, customer.customer_id)
    await eventually(lambda: service.customer_known(customer.customer_id))
    return customer.customer_id


def status_mails(mails: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leaves out the registration-complete mail the known customer got."""
    return [m for m in mails if "対応状況" in m["subject"] or "handling status" in m["subject"]]


async def test_a_burst_of_updates_sends_one_mail_per_claim(
    infrastructure: Any, database_url: str
) -> None:
    window = 3.0
    settings = notifier_settings(infrastructure, database_url, status_mail_window_seconds=window)
    app = build(settings)
    service = NotifierService(
        app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
    )
    async with in_process(app):
        email = unique_email()
        customer_id = await known_customer(service, email)
        burst = [(changed("CL-BURST-1", customer_id, n), customer_id) for n in range(1, 6)]
        burst += [(changed("CL-BURST-2", customer_id, n), customer_id) for n in range(1, 3)]
        await service.publish_all(burst)

        async def two() -> list[dict[str, Any]]:
            mails = status_mails(await service.mails_to(email))
            return mails if len(mails) >= 2 else []

        await eventually(two)
        await asyncio.sleep(window + 1.5)
        mails = status_mails(await service.mails_to(email))
    assert len(mails) == 2
    assert all(WHERE_TO_LOOK["ja"] in m["text"] and "CL-BURST" not in m["text"] for m in mails)


async def test_a_change_after_the_notice_went_out_is_a_new_notice(
    notifier: NotifierService,
) -> None:
    email = unique_email()
    customer_id = await known_customer(notifier, email)
    await notifier.publish(changed("CL-LATER", customer_id, 1), customer_id)
    await eventually(lambda: status_mails_of(notifier, email))
    await notifier.publish(changed("CL-LATER", customer_id, 2), customer_id)

    async def two() -> bool:
        return len(await status_mails_of(notifier, email)) == 2

    await eventually(two)


async def status_mails_of(service: NotifierService, email: str) -> list[dict[str, Any]]:
    return status_mails(await service.mails_to(email))


async def test_the_status_mail_says_where_to_look_and_carries_no_link_in_both_languages(
    notifier: NotifierService,
) -> None:
    """No link (a signed-out customer following one would land on the log-in form, which is
    what phishing mails imitate), nor the claim id, which comes from adjusters' systems."""
    japanese, english = unique_email(), unique_email()
    for email, language in ((japanese, "ja"), (english, "en")):
        customer_id = await known_customer(notifier, email, language)
        await notifier.publish(changed("CL/2026 #7?x=1", customer_id, 1), customer_id)
    ja = (await eventually(lambda: status_mails_of(notifier, japanese)))[0]
    en = (await eventually(lambda: status_mails_of(notifier, english)))[0]
    assert ja["subject"] == "【お客さまWebサービス】事故の対応状況が更新されました"
    assert WHERE_TO_LOOK["ja"] in ja["text"]
    assert en["subject"] == "[Customer web service] Your accident's handling status was updated"
    assert WHERE_TO_LOOK["en"] in en["text"]
    for mail in (ja, en):
        assert "CL/2026" not in mail["text"] and "CL%2F2026" not in mail["text"]
        assert "http" not in mail["text"] and "/accidents/" not in mail["text"]


async def test_a_scheduled_notice_survives_a_kill_9(
    infrastructure: Any, database_url: str, tmp_path: Path
) -> None:
    """Scheduled by one notifier process (kill -9 before it was due), sent by the next."""
    settings = notifier_settings(infrastructure, database_url, status_mail_window_seconds=5.0)
    app = build(settings)
    service = NotifierService(
        app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
    )
    env = {
        **os.environ,
        "NOTIFIER_DATABASE_URL": settings.database_url,
        "NOTIFIER_HTTP_PORT": str(free_port()),
        "NOTIFIER_STATUS_MAIL_WINDOW_SECONDS": "5",
        "NOTIFIER_CONTACT_DESK": "0120-000-000",
        **kafka_clients.process_env(settings.kafka_bootstrap_servers, "notifier"),
        "KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "SMTP_HOST": settings.smtp_host,
        "SMTP_PORT": str(settings.smtp_port),
        "MAINTENANCE_WINDOWS": "",
    }
    email = unique_email()
    customer = registered(email, None)
    await service.publish(customer, customer.customer_id)
    with (tmp_path / "notifier.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "notifier"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:

        async def known() -> bool:
            try:
                return await service.customer_known(customer.customer_id)
            except Exception:  # the process is still creating its tables
                return False

        await eventually(known, timeout=60)
        await service.publish(changed("CL-KILLED", customer.customer_id, 1), customer.customer_id)

        async def scheduled() -> bool:
            return await service.pending_notices() == ["CL-KILLED"]

        await eventually(scheduled, timeout=30)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert await status_mails_of(service, email) == []
    async with in_process(app):
        await eventually(lambda: status_mails_of(service, email), timeout=30)
        await asyncio.sleep(2.0)
    assert len(await status_mails_of(service, email)) == 1
    assert await service.pending_notices() == []


async def test_a_refused_notice_stays_until_the_mail_server_takes_it(
    infrastructure: Any, database_url: str
) -> None:
    """The row is kept (its attempts counted) while the SMTP server is away, then sent once."""
    refusing = notifier_settings(
        infrastructure, database_url, smtp_port=free_port(), send_retry_seconds=0.05
    )
    app = build(refusing)
    service = NotifierService(
        app, refusing, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
    )
    email = unique_email()
    async with in_process(app):
        customer_id = await known_customer(service, email)
        await service.publish(changed("CL-REFUSED", customer_id, 1), customer_id)

        async def tried_twice() -> bool:
            conn = await asyncpg.connect(refusing.database_url)
            try:
                attempts = await conn.fetchval(
                    "SELECT attempts FROM status_notices WHERE claim_id = 'CL-REFUSED'"
                )
            finally:
                await conn.close()
            return (attempts or 0) >= 2

        await eventually(tried_twice)
    assert await service.pending_notices() == ["CL-REFUSED"]
    async with in_process(build(notifier_settings(infrastructure, database_url))):
        await eventually(lambda: status_mails_of(service, email))
    assert len(await status_mails_of(service, email)) == 1
    assert await service.pending_notices() == []
