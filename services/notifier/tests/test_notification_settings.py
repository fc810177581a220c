"""Notification settings against the real servers: chosen through the notifier's API, kept in
its database, and deciding which mails the SMTP server receives (security notices always)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from claims_shared.events import ClaimStatusChanged, PasswordChanged
from claims_shared.events.claims import UpdateType
from devinfra.testing import eventually, in_process
from notifier.main import build
from notifier_harness import (
    NotifierService,
    bearer,
    key_set,
    notifier_settings,
    registered,
    unique_email,
)

SETTINGS = "/api/v1/me/notification-settings"
WINDOW = 0.5


def changed(claim_id: str, customer_id: str, sequence: int, change: UpdateType) -> Any:
    return ClaimStatusChanged(
        claim_id=claim_id,
        customer_id=customer_id,
        change=change,
        stage="investigating",
        sequence=sequence,
    )


def choice(**mail: bool) -> dict[str, Any]:
    """The PUT body: mail as given per kind (else on), push off."""
    kinds = ("status_changed", "action_requested", "message_received")
    return {"kinds": {kind: {"mail": mail.get(kind, True), "push": False} for kind in kinds}}


@pytest.fixture
async def served(
    infrastructure: Any, database_url: str
) -> AsyncIterator[tuple[NotifierService, httpx.AsyncClient]]:
    settings = notifier_settings(infrastructure, database_url, status_mail_window_seconds=WINDOW)
    app = build(settings, fetch_keys=key_set)
    service = NotifierService(
        app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
    )
    async with in_process(app) as api:
        yield service, api


async def known_customer(service: NotifierService, email: str) -> str:
    customer = registered(email, None)
    await service.publish(customer, customer.customer_id)
    await eventually(lambda: service.customer_known(customer.customer_id))
    return customer.customer_id


def claim_mails(mails: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(subject, whether it says where to look) of each status, request and new-message mail,
    in the order received. They carry no link, nor the claim: the subject is what tells them
    apart."""
    found = []
    for mail in mails:
        if any(words in mail["subject"] for words in ("対応状況", "新着メッセージ", "お願い")):
            found.append((mail["subject"], "事故一覧で対象の事故をご確認ください" in mail["text"]))
    return found


MESSAGE = "【お客さまWebサービス】新着メッセージがあります"
REQUEST = "【お客さまWebサービス】ご対応のお願いがあります"


async def test_status_mail_off_leaves_the_requests_and_messages_mailed(
    served: tuple[NotifierService, httpx.AsyncClient],
) -> None:
    service, api = served
    email = unique_email()
    customer_id = await known_customer(service, email)
    put = await api.put(SETTINGS, json=choice(status_changed=False), headers=bearer(customer_id))
    assert put.status_code == 200

    # One key, so the handler hears them in this order; each claim's notice is due a window on.
    await service.publish_all(
        [
            (changed("CL-QUIET", customer_id, 1, "stage_changed"), customer_id),
            (changed("CL-QUIET", customer_id, 2, "message_to_customer"), customer_id),
            (changed("CL-ASKED", customer_id, 1, "handler_assigned"), customer_id),
            (changed("CL-ASKED", customer_id, 2, "customer_action_requested"), customer_id),
        ]
    )

    async def both() -> list[tuple[str, str]]:
        mails = claim_mails(await service.mails_to(email))
        return mails if len(mails) >= 2 else []

    await eventually(both)
    await asyncio.sleep(WINDOW * 2 + 1)
    assert await service.pending_notices() == []
    assert sorted(claim_mails(await service.mails_to(email))) == [
        (REQUEST, True),  # the request, not the status mail of the assignment before it
        (MESSAGE, True),
    ]


async def test_with_every_kind_off_only_the_security_notice_is_mailed(
    served: tuple[NotifierService, httpx.AsyncClient],
) -> None:
    service, api = served
    email = unique_email()
    customer_id = await known_customer(service, email)
    all_off = choice(status_changed=False, action_requested=False, message_received=False)
    assert (await api.put(SETTINGS, json=all_off, headers=bearer(customer_id))).status_code == 200

    await service.publish_all(
        [
            (changed("CL-OFF", customer_id, n, change), customer_id)
            for n, change in enumerate(
                ["claim_opened", "customer_action_requested", "message_to_customer"], 1
            )
        ]
    )
    await service.publish(
        PasswordChanged(user_id=uuid.uuid4(), customer_id=customer_id, email=email), customer_id
    )

    async def password_mail() -> list[str]:
        subjects = [m["subject"] for m in await service.mails_to(email)]
        return [s for s in subjects if "パスワード変更" in s]

    await eventually(password_mail)
    await asyncio.sleep(WINDOW * 2 + 1)
    assert claim_mails(await service.mails_to(email)) == []
    assert await service.pending_notices() == []


async def test_mail_turned_off_while_a_notice_waits_sends_it_without_a_mail(
    infrastructure: Any, database_url: str
) -> None:
    """The sweeper reads the setting when the notice is due: a change of mind within the window
    counts, and a notice kept for its push (mail off, push on) is sent without a mail."""
    settings = notifier_settings(infrastructure, database_url, status_mail_window_seconds=3.0)
    app = build(settings, fetch_keys=key_set)
    service = NotifierService(
        app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
    )
    async with in_process(app) as api:
        email = unique_email()
        customer_id = await known_customer(service, email)
        await service.publish(changed("CL-MIND", customer_id, 1, "stage_changed"), customer_id)

        async def waiting() -> bool:
            return await service.pending_notices() == ["CL-MIND"]

        await eventually(waiting)
        push_only = choice()
        push_only["kinds"]["status_changed"] = {"mail": False, "push": True}
        put = await api.put(SETTINGS, json=push_only, headers=bearer(customer_id))
        assert put.status_code == 200

        async def sent() -> bool:
            return await service.pending_notices() == []

        await eventually(sent)
        await asyncio.sleep(1.0)
    assert claim_mails(await service.mails_to(email)) == []


async def test_the_settings_are_kept_in_the_database_and_a_bad_body_changes_nothing(
    infrastructure: Any, database_url: str
) -> None:
    settings = notifier_settings(infrastructure, database_url)
    chosen = {
        "kinds": {
            "status_changed": {"mail": False, "push": True},
            "action_requested": {"mail": True, "push": True},
            "message_received": {"mail": False, "push": False},
        }
    }
    async with in_process(build(settings, fetch_keys=key_set)) as api:
        before = await api.get(SETTINGS, headers=bearer("C-KEPT"))
        assert (await api.put(SETTINGS, json=chosen, headers=bearer("C-KEPT"))).status_code == 200
        again = {"kinds": {**chosen["kinds"], "message_received": {"mail": "yes", "push": False}}}
        refused = await api.put(SETTINGS, json=again, headers=bearer("C-KEPT"))

    async with in_process(build(settings, fetch_keys=key_set)) as api:  # restarted
        after = await api.get(SETTINGS, headers=bearer("C-KEPT"))
        other = await api.get(SETTINGS, headers=bearer("C-OTHER"))

    assert before.json() == choice()
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")
    assert after.json() == chosen
    assert other.json() == choice()
