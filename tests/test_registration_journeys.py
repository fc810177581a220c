"""The customer guide's two registration journeys end to end, through HTTP, Kafka and SMTP:
registration, identity and notifier each with their own database, on one broker and one SMTP
server, exactly as they run in production (only the topic names carry this test's prefix)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from devinfra.testing import ManualClock, eventually, find_envelopes, in_process, topic_prefix
from identity.main import build as build_identity
from identity_harness import identity_settings
from notifier.main import build as build_notifier
from notifier_harness import NotifierService, notifier_settings, unique_email
from registration.main import build as build_registration
from registration_harness import RegistrationService, registration_settings


@dataclass
class Product:
    registration: RegistrationService
    identity: httpx.AsyncClient
    mailbox: NotifierService
    prefix: str

    async def log_in(self, email: str, password: str) -> httpx.Response:
        return await self.identity.post(
            "/api/v1/sessions", json={"email": email, "password": password}
        )

    async def logs_in(self, email: str, password: str) -> dict[str, Any]:
        """The account exists a moment after registration (UserRegistered crosses Kafka)."""

        async def attempt() -> dict[str, Any] | None:
            response = await self.log_in(email, password)
            return response.json() if response.status_code == 200 else None

        return await eventually(attempt)


@pytest.fixture
async def product(
    infrastructure: Any, database_factory: Callable[[], str]
) -> AsyncIterator[Product]:
    prefix = topic_prefix()
    clock = ManualClock()
    reg_settings = registration_settings(infrastructure, database_factory(), prefix)
    id_settings = identity_settings(
        infrastructure,
        database_factory(),
        kafka_topic_prefix=prefix,
        throttle_after_failures=50,
        lock_after_failures=100,
    )
    mail_settings = notifier_settings(infrastructure, database_factory(), kafka_topic_prefix=prefix)
    registration_app = build_registration(reg_settings, clock=clock)
    notifier_app = build_notifier(mail_settings, clock=clock)
    async with (
        in_process(registration_app, "http://registration") as registration_client,
        in_process(build_identity(id_settings, clock=clock), "http://identity") as identity_client,
        in_process(notifier_app),
    ):
        yield Product(
            RegistrationService(registration_app, registration_client, clock, reg_settings),
            identity_client,
            NotifierService(
                notifier_app,
                mail_settings,
                infrastructure.kafka_bootstrap_servers,
                infrastructure.mail_web_url,
            ),
            prefix,
        )


async def test_simple_registration_then_log_in(product: Product) -> None:
    policy = await product.registration.record_policy(code="483921")
    started = (await product.registration.start(policy.policy_number, "483921")).json()
    email = unique_email()
    created = await product.registration.set_account(started, email, "山田家の 新しい 合言葉")
    assert created.status_code == 201

    session = await product.logs_in(email, "山田家の 新しい 合言葉")
    assert session["password_change_required"] is False
    me = await product.identity.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert me.json()["policy_numbers"] == [policy.policy_number]
    assert me.json()["customer_id"] == policy.customer_id


async def test_new_registration_mail_forced_change_then_log_in(product: Product) -> None:
    policy = await product.registration.record_policy(
        full_name="田中 美咲", kana="タナカ ミサキ", born=date(1992, 11, 3)
    )
    email = unique_email()
    accepted = await product.registration.details(
        full_name="田中　美咲",
        date_of_birth="平成4年11月3日",
        policy_number=policy.policy_number,
        email=email.upper(),
    )
    assert accepted.status_code == 202

    mails = await eventually(lambda: product.mailbox.mails_to(email))
    assert mails[0]["subject"] == "【お客さまWebサービス】仮パスワードのお知らせ"
    match = re.search(r"仮パスワード：(\S+)", mails[0]["text"])
    assert match is not None
    temporary = match.group(1)

    limited = await product.logs_in(email, temporary)
    assert limited["password_change_required"] is True
    changed = await product.identity.put(
        "/api/v1/me/password",
        headers={"Authorization": f"Bearer {limited['access_token']}"},
        json={"current_password": temporary, "new_password": "みさきの 秘密の 合言葉"},
    )
    assert changed.status_code == 204
    assert (await product.log_in(email, temporary)).status_code == 401
    full = await product.log_in(email, "みさきの 秘密の 合言葉")
    assert full.status_code == 200 and full.json()["password_change_required"] is False

    notices = await eventually(
        lambda: _with_subject(product, email, "【お客さまWebサービス】パスワード変更のお知らせ")
    )
    assert len(notices) == 1

    everything = []
    for topic in ("registration.events", "identity.events", "policy.records"):
        everything += await find_envelopes(
            product.registration.bootstrap,
            product.prefix + topic,
            lambda e: True,
            expected=10**6,
            timeout=3,
        )
    assert everything, "the topics were read"
    assert temporary not in json.dumps(everything, ensure_ascii=False)


async def _with_subject(product: Product, email: str, subject: str) -> list[dict[str, Any]]:
    return [m for m in await product.mailbox.mails_to(email) if m["subject"] == subject]
