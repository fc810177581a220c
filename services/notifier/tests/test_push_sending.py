"""The push sender against a push service on 127.0.0.1 that verifies the VAPID signature and
decrypts the payload with the browser's keys (push_service.py): what a real push service and
phone would receive."""

from collections.abc import Iterator

import pytest
from push_service import BrowserSubscription, LoopbackPushService, running_push_service

from notifier.push_endpoints import EndpointRefused
from notifier.push_sending import (
    PushMessage,
    PushTarget,
    PyWebPushSender,
    SubscriptionGone,
    vapid_public_key,
)
from notifier.settings import DEVELOPMENT_VAPID_PRIVATE_KEY

MESSAGE = PushMessage("お客さまWebサービス", "事故の対応状況が更新されました", "/accidents/CL-1")


@pytest.fixture
def push_service() -> Iterator[LoopbackPushService]:
    with running_push_service() as service:
        yield service


def sender(allow_test_loopback: bool = True) -> PyWebPushSender:
    return PyWebPushSender(
        vapid_private_key=DEVELOPMENT_VAPID_PRIVATE_KEY,
        vapid_subject="mailto:push@claims-status.example.jp",
        ttl_seconds=3600,
        timeout_seconds=5,
        allow_test_loopback=allow_test_loopback,
    )


def target(subscription: BrowserSubscription) -> PushTarget:
    keys = subscription.json()["keys"]
    return PushTarget(subscription.endpoint, keys["p256dh"], keys["auth"])


async def test_the_push_service_receives_a_signed_message_only_the_browser_can_read(
    push_service: LoopbackPushService,
) -> None:
    subscription = push_service.subscribe()
    await sender().send(target(subscription), MESSAGE)
    (push,) = push_service.pushes_to(subscription)
    assert push.payload == {
        "title": "お客さまWebサービス",
        "body": "事故の対応状況が更新されました",
        "url": "/accidents/CL-1",
    }
    assert push.vapid_public_key == vapid_public_key(DEVELOPMENT_VAPID_PRIVATE_KEY)
    assert push.vapid_claims["sub"] == "mailto:push@claims-status.example.jp"
    assert push.ttl == 3600
    assert push_service.refused == []


@pytest.mark.parametrize("answer", [404, 410])
async def test_a_subscription_the_push_service_no_longer_knows_is_gone(
    push_service: LoopbackPushService, answer: int
) -> None:
    subscription = push_service.subscribe(answer=answer)
    with pytest.raises(SubscriptionGone):
        await sender().send(target(subscription), MESSAGE)


async def test_without_the_test_setting_the_loopback_push_service_is_not_called(
    push_service: LoopbackPushService,
) -> None:
    subscription = push_service.subscribe()
    with pytest.raises(EndpointRefused):
        await sender(allow_test_loopback=False).send(target(subscription), MESSAGE)
    assert push_service.received == []


async def test_the_connection_itself_is_checked_when_a_name_resolves_elsewhere_at_send_time(
    push_service: LoopbackPushService,
) -> None:
    """As if the endpoint's name passed the check and then resolved to loopback (DNS
    rebinding): the socket's peer address is judged too, and nothing is sent."""
    subscription = push_service.subscribe()
    with pytest.raises(EndpointRefused):
        sender(allow_test_loopback=False)._send(target(subscription), MESSAGE)
    assert push_service.received == []
