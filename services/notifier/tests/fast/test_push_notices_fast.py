"""Which push goes with a notice (notifier.push_notices), with its ports in memory: the kind's
push setting decides, the words carry no claim detail, and a subscription the push service calls
gone (or whose endpoint is no longer allowed) is forgotten while the others still get theirs."""

from __future__ import annotations

import uuid

import pytest

from notifier.preferences import Channels, InMemoryPreferences
from notifier.push_endpoints import EndpointRefused
from notifier.push_notices import NoticePushes
from notifier.push_sending import PushFailed, PushMessage, PushTarget, SubscriptionGone
from notifier.push_subscriptions import PushSubscriptions, StoredSubscription


class InMemorySubscriptions:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, tuple[str, PushTarget]] = {}

    async def add(self, customer_id: str, target: PushTarget) -> uuid.UUID:
        subscription_id = uuid.uuid4()
        self.rows[subscription_id] = (customer_id, target)
        return subscription_id

    async def remove(self, customer_id: str, subscription_id: uuid.UUID) -> bool:
        if self.rows.get(subscription_id, ("", None))[0] != customer_id:
            return False
        del self.rows[subscription_id]
        return True

    async def of_customer(self, customer_id: str) -> list[StoredSubscription]:
        return [StoredSubscription(i, t) for i, (c, t) in self.rows.items() if c == customer_id]

    async def forget(self, subscription_id: uuid.UUID) -> None:
        self.rows.pop(subscription_id, None)


_port: type[PushSubscriptions] = InMemorySubscriptions


class FakePushServices:
    """Answers by endpoint: 'gone', 'internal', 'down', or delivered."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, PushMessage]] = []

    async def send(self, target: PushTarget, message: PushMessage) -> None:
        if "gone" in target.endpoint:
            raise SubscriptionGone("410")
        if "internal" in target.endpoint:
            raise EndpointRefused("10.0.0.1")
        if "down" in target.endpoint:
            raise PushFailed("503")
        self.delivered.append((target.endpoint, message))


def target(name: str) -> PushTarget:
    return PushTarget(f"https://push.example.com/{name}", "p256dh", "auth")


async def pushes(
    push_on: bool = True,
) -> tuple[NoticePushes, InMemorySubscriptions, FakePushServices, InMemoryPreferences]:
    subscriptions, services, preferences = (
        InMemorySubscriptions(),
        FakePushServices(),
        InMemoryPreferences(),
    )
    await preferences.choose(
        "C1",
        {
            "status_changed": Channels(mail=True, push=push_on),
            "action_requested": Channels(mail=True, push=push_on),
            "message_received": Channels(mail=True, push=push_on),
        },
    )
    return NoticePushes(subscriptions, preferences, services), subscriptions, services, preferences


@pytest.mark.parametrize(
    ("kind", "language", "body", "url"),
    [
        ("claim_status_changed", "ja", "事故の対応状況が更新されました", "/accidents/CL%2F1"),
        ("action_requested", "ja", "ご対応のお願いがあります", "/accidents/CL%2F1"),
        ("new_message", "ja", "新着メッセージがあります", "/accidents/CL%2F1#messages"),
        (
            "claim_status_changed",
            "en",
            "The handling status of your accident was updated",
            "/accidents/CL%2F1",
        ),
    ],
)
async def test_each_notice_pushes_its_own_words_and_page(
    kind: str, language: str, body: str, url: str
) -> None:
    notice_pushes, subscriptions, services, _ = await pushes()
    await subscriptions.add("C1", target("phone"))
    assert await notice_pushes.push_notice("C1", "CL/1", kind, language) == 1
    ((_, message),) = services.delivered
    assert (message.body, message.url) == (body, url)


async def test_push_off_for_the_kind_sends_nothing() -> None:
    notice_pushes, subscriptions, services, preferences = await pushes(push_on=False)
    await subscriptions.add("C1", target("phone"))
    await preferences.choose("C1", {"message_received": Channels(mail=False, push=True)})
    assert await notice_pushes.push_notice("C1", "CL-1", "claim_status_changed", "ja") == 0
    assert services.delivered == []
    assert await notice_pushes.push_notice("C1", "CL-1", "new_message", "ja") == 1


async def test_the_default_is_no_push() -> None:
    notice_pushes, subscriptions, services, _ = await pushes()
    await subscriptions.add("C2", target("phone"))
    assert await notice_pushes.push_notice("C2", "CL-1", "claim_status_changed", "ja") == 0
    assert services.delivered == []


async def test_gone_and_internal_subscriptions_are_forgotten_and_the_others_still_pushed() -> None:
    notice_pushes, subscriptions, services, _ = await pushes()
    for name in ("gone", "internal", "down", "tablet"):
        await subscriptions.add("C1", target(name))
    assert await notice_pushes.push_notice("C1", "CL-1", "claim_status_changed", "ja") == 1
    left = sorted(t.endpoint for _, t in subscriptions.rows.values())
    assert left == [target("down").endpoint, target("tablet").endpoint]
    assert [endpoint for endpoint, _ in services.delivered] == [target("tablet").endpoint]
