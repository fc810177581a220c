"""Push notifications end to end: the real notifier (Kafka, PostgreSQL, SMTP) pushes a claim's
coalesced notice to a push service run by the test on 127.0.0.1 (push_service.py), which
verifies the VAPID signature and decrypts the payload with the browser's keys: what a real push
service and phone would receive. Subscriptions come in through the notifier's own route."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from push_service import (
    BrowserSubscription,
    LoopbackPushService,
    ReceivedPush,
    running_push_service,
)

from claims_shared.events import ClaimStatusChanged
from claims_shared.events.claims import UpdateType
from devinfra.testing import eventually, in_process
from notifier.main import build
from notifier.push_sending import vapid_public_key
from notifier.settings import DEVELOPMENT_VAPID_PRIVATE_KEY
from notifier_harness import (
    NotifierService,
    bearer,
    key_set,
    notifier_settings,
    registered,
    unique_email,
)


@dataclass
class PushingNotifier:
    service: NotifierService
    client: httpx.AsyncClient
    push: LoopbackPushService

    async def customer(self) -> tuple[str, str]:
        """A registered customer's id and email address."""
        email = unique_email()
        customer = registered(email, None)
        await self.service.publish(customer, customer.customer_id)
        await eventually(lambda: self.service.customer_known(customer.customer_id))
        return customer.customer_id, email

    async def pushes_to(self, subscription: BrowserSubscription) -> list[ReceivedPush]:
        return self.push.pushes_to(subscription)

    async def subscribe(self, customer_id: str, answer: int = 201) -> BrowserSubscription:
        subscription = self.push.subscribe(answer=answer)
        response = await self.client.post(
            "/api/v1/me/push-subscriptions",
            json={**subscription.json(), "expirationTime": None},
            headers=bearer(customer_id),
        )
        assert response.status_code == 201, response.text
        return subscription

    async def choose(self, customer_id: str, push: bool, mail: bool = True) -> None:
        kinds = {
            kind: {"mail": mail, "push": push}
            for kind in ("status_changed", "action_requested", "message_received")
        }
        response = await self.client.put(
            "/api/v1/me/notification-settings", json={"kinds": kinds}, headers=bearer(customer_id)
        )
        assert response.status_code == 200, response.text

    async def change(
        self, claim_id: str, customer_id: str, change: UpdateType = "stage_changed"
    ) -> None:
        changed = ClaimStatusChanged(
            claim_id=claim_id,
            customer_id=customer_id,
            change=change,
            stage="investigating",
            sequence=1,
        )
        await self.service.publish(changed, customer_id)

    async def subscriptions_stored(self) -> int:
        conn = await asyncpg.connect(self.service.settings.database_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM push_subscriptions"))
        finally:
            await conn.close()


@pytest.fixture
def push_service() -> Iterator[LoopbackPushService]:
    with running_push_service() as service:
        yield service


@pytest.fixture
async def pushing(
    infrastructure: Any, database_url: str, push_service: LoopbackPushService
) -> AsyncIterator[PushingNotifier]:
    settings = notifier_settings(infrastructure, database_url, push_allow_loopback_for_tests=True)
    app = build(settings, fetch_keys=key_set)
    async with in_process(app) as client:
        service = NotifierService(
            app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
        )
        yield PushingNotifier(service, client, push_service)


async def test_a_status_change_is_pushed_signed_and_readable_only_by_the_browser(
    pushing: PushingNotifier,
) -> None:
    customer_id, _ = await pushing.customer()
    await pushing.choose(customer_id, push=True)
    subscription = await pushing.subscribe(customer_id)
    claim_id = f"CL-{uuid.uuid4().hex[:8]}"
    await pushing.change(claim_id, customer_id)

    (push,) = await eventually(lambda: pushing.pushes_to(subscription))
    assert push.payload == {
        "title": "お客さまWebサービス",
        "body": "事故の対応状況が更新されました",
        "url": f"/accidents/{claim_id}",
    }
    assert push.vapid_public_key == vapid_public_key(DEVELOPMENT_VAPID_PRIVATE_KEY)
    assert push.vapid_claims["sub"].startswith("mailto:")
    assert push.ttl > 0
    assert pushing.push.refused == []


async def test_a_message_from_the_handler_is_pushed_with_a_link_to_the_thread(
    pushing: PushingNotifier,
) -> None:
    customer_id, _ = await pushing.customer()
    await pushing.choose(customer_id, push=True)
    subscription = await pushing.subscribe(customer_id)
    await pushing.change("CL-MSG-1", customer_id, change="message_to_customer")

    (push,) = await eventually(lambda: pushing.pushes_to(subscription))
    assert push.payload["body"] == "新着メッセージがあります"
    assert push.payload["url"] == "/accidents/CL-MSG-1#messages"


async def test_a_request_for_action_is_pushed_in_its_own_words(pushing: PushingNotifier) -> None:
    customer_id, _ = await pushing.customer()
    await pushing.choose(customer_id, push=True)
    subscription = await pushing.subscribe(customer_id)
    await pushing.change("CL-ASK-1", customer_id, change="customer_action_requested")

    (push,) = await eventually(lambda: pushing.pushes_to(subscription))
    assert push.payload["body"] == "ご対応のお願いがあります"
    assert push.payload["url"] == "/accidents/CL-ASK-1"


async def test_with_mail_off_and_push_on_the_push_comes_without_a_mail(
    pushing: PushingNotifier,
) -> None:
    customer_id, email = await pushing.customer()
    await pushing.choose(customer_id, push=True, mail=False)
    subscription = await pushing.subscribe(customer_id)
    await pushing.change("CL-PUSHONLY-1", customer_id)

    (push,) = await eventually(lambda: pushing.pushes_to(subscription))
    assert push.payload["body"] == "事故の対応状況が更新されました"
    mails = await pushing.service.mails_to(email)
    assert [m for m in mails if "対応状況" in m["subject"]] == []


async def test_with_push_off_in_the_settings_nothing_is_pushed(
    pushing: PushingNotifier,
) -> None:
    customer_id, email = await pushing.customer()
    await pushing.choose(customer_id, push=False)
    subscription = await pushing.subscribe(customer_id)
    await pushing.change("CL-QUIET-1", customer_id)

    async def status_mail() -> bool:
        return any("対応状況" in m["subject"] for m in await pushing.service.mails_to(email))

    async def notice_done() -> bool:
        return await pushing.service.pending_notices() == []

    await eventually(status_mail)  # the notice went out, by mail only
    await eventually(notice_done)
    await asyncio.sleep(0.5)
    assert pushing.push.pushes_to(subscription) == []


@pytest.mark.parametrize("answer", [404, 410])
async def test_a_subscription_the_push_service_calls_gone_is_deleted(
    pushing: PushingNotifier, answer: int
) -> None:
    customer_id, _ = await pushing.customer()
    await pushing.choose(customer_id, push=True)
    await pushing.subscribe(customer_id, answer=answer)
    kept = await pushing.subscribe(customer_id)
    assert await pushing.subscriptions_stored() == 2
    await pushing.change("CL-GONE-1", customer_id)

    await eventually(lambda: pushing.pushes_to(kept))

    async def one_left() -> bool:
        return await pushing.subscriptions_stored() == 1

    await eventually(one_left)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://10.0.0.1/push/abc",
        "https://localhost/push/abc",
        "http://localhost:8443/push/abc",
        "https://169.254.169.254/push/abc",
        "https://[::1]/push/abc",
        "http://push.example.com/push/abc",
    ],
)
async def test_an_endpoint_inside_the_platform_or_not_https_is_refused_at_registration(
    pushing: PushingNotifier, endpoint: str
) -> None:
    customer_id = f"C{uuid.uuid4().hex[:8]}"
    subscription = pushing.push.subscribe()
    response = await pushing.client.post(
        "/api/v1/me/push-subscriptions",
        json={**subscription.json(), "endpoint": endpoint},
        headers={**bearer(customer_id), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "code": "push_endpoint_refused",
        "message": "This push notification endpoint cannot be registered.",
    }
    assert await pushing.subscriptions_stored() == 0


async def test_keys_that_are_not_a_browser_subscription_are_refused(
    pushing: PushingNotifier,
) -> None:
    subscription = pushing.push.subscribe().json()
    response = await pushing.client.post(
        "/api/v1/me/push-subscriptions",
        json={**subscription, "keys": {**subscription["keys"], "p256dh": "AAAA"}},
        headers=bearer("C-KEYS"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "push_keys_invalid"
    assert response.json()["message"] == "通知の暗号鍵が正しくありません。"


async def test_a_customer_removes_their_subscription_and_not_another_customers(
    pushing: PushingNotifier,
) -> None:
    subscription = pushing.push.subscribe()
    created = await pushing.client.post(
        "/api/v1/me/push-subscriptions", json=subscription.json(), headers=bearer("C-OWNER")
    )
    subscription_id = created.json()["subscription_id"]
    path = f"/api/v1/me/push-subscriptions/{subscription_id}"

    foreign = await pushing.client.delete(path, headers=bearer("C-OTHER"))
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "push_subscription_not_found"
    assert (await pushing.client.delete(path, headers=bearer("C-OWNER"))).status_code == 204
    assert await pushing.subscriptions_stored() == 0
    assert (await pushing.client.delete(path)).status_code == 401


async def test_the_app_fetches_the_key_it_subscribes_with(pushing: PushingNotifier) -> None:
    response = await pushing.client.get("/api/v1/push/vapid-public-key")
    assert response.json() == {"public_key": vapid_public_key(DEVELOPMENT_VAPID_PRIVATE_KEY)}
