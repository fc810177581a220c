"""A message round trip across services, as deployed: claim-status and the notifier, each with its
own database, on one broker (this test's topic prefix) and the real SMTP server. The handler's
message reaches the customer's thread and the list's unread count, and the customer's mailbox
as "you have a new message" with a link to the thread and not a word of the message."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from claim_status.main import build as build_claim_status
from claim_status_harness import (
    ClaimLog,
    ClaimStatusService,
    claim_status_settings,
    key_set,
    opened,
)
from devinfra.testing import eventually, in_process, topic_prefix
from notifier.main import build as build_notifier
from notifier_harness import NotifierService, notifier_settings, registered, unique_email


@dataclass
class Product:
    claims: ClaimStatusService
    mailbox: NotifierService


@pytest.fixture
async def product(
    infrastructure: Any, database_factory: Callable[[], str]
) -> AsyncIterator[Product]:
    prefix = topic_prefix()
    mail_settings = notifier_settings(infrastructure, database_factory(), kafka_topic_prefix=prefix)
    claim_settings = claim_status_settings(
        infrastructure, database_factory(), kafka_topic_prefix=prefix
    )
    notifier_app = build_notifier(mail_settings)
    async with (
        in_process(notifier_app),
        ClaimStatusService.serving(
            claim_settings,
            partial(build_claim_status, claim_settings, fetch_keys=key_set),
            "http://claim-status",
        ) as claims,
    ):
        yield Product(
            claims,
            NotifierService(
                notifier_app,
                mail_settings,
                infrastructure.kafka_bootstrap_servers,
                infrastructure.mail_web_url,
            ),
        )


async def test_the_handlers_message_is_announced_by_mail_without_its_text(
    product: Product,
) -> None:
    claims, mailbox = product.claims, product.mailbox
    email = unique_email()
    customer = registered(email, None)
    await mailbox.publish(customer, customer.customer_id)
    await eventually(lambda: mailbox.customer_known(customer.customer_id))
    customer_id, headers = customer.customer_id, claims.as_customer(customer.customer_id)
    log = ClaimLog()
    await claims.send(opened(log, claims.clock, customer_id))
    await claims.accident_at(customer_id, log.claim_id, 1)
    thread = f"/api/v1/me/accidents/{log.claim_id}/messages"
    posted = await claims.client.post(
        thread, json={"text": "車の修理はいつ頃になりますか？"}, headers=headers
    )
    assert posted.status_code == 201

    secret = "修理見積は32万円、代車は11月28日まで"
    answer = log.next(
        "message_to_customer", claims.clock, message_id=str(uuid.uuid4()), text=secret
    )
    assert (await claims.post_update(answer)).status_code == 202

    async def new_message_mail() -> list[dict[str, Any]]:
        return [m for m in await mailbox.mails_to(email) if "新着メッセージ" in m["subject"]]

    [mail] = await eventually(new_message_mail)
    assert mail["subject"] == "【お客さまWebサービス】新着メッセージがあります"
    assert "ログインし、事故一覧で対象の事故をご確認ください" in mail["text"]
    assert "http" not in mail["text"] and log.claim_id not in mail["text"], "no link, no claim"
    assert "32万円" not in mail["text"] and "代車" not in mail["text"]

    async def unread() -> int:
        listing = await claims.client.get("/api/v1/me/accidents", headers=headers)
        [item] = listing.json()["items"]
        return int(item["unread_messages"])

    await eventually(lambda: _counts(unread, 1))
    body = (await claims.client.get(thread, headers=headers)).json()
    assert [(m["sender"], m["text"]) for m in body["messages"]][-1] == ("handler", secret)
    await eventually(lambda: _counts(unread, 0))


async def _counts(count: Callable[[], Any], expected: int) -> bool:
    return bool(await count() == expected)
