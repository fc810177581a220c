"""The notifier's push routes: the app registers the browser's push subscription (its
PushSubscription JSON) and removes it, and fetches the key it subscribes with.

    POST   /api/v1/me/push-subscriptions                    -> 201 {subscription_id}
    DELETE /api/v1/me/push-subscriptions/{subscription_id}  -> 204
    GET    /api/v1/push/vapid-public-key                    -> {public_key}

An endpoint is checked before it is stored (notifier.push_endpoints): one the notifier would
never call is a 422 `push_endpoint_refused`, so the app can tell the customer at once."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from claims_shared.auth import NOT_SIGNED_IN, CustomerId
from claims_shared.errors import Message, Refusal
from claims_shared.inputs import RequestBody
from claims_shared.web import Wired, outside_maintenance
from notifier.api import ERRORS
from notifier.push_endpoints import MAX_ENDPOINT_LENGTH, EndpointRefused, check_endpoint
from notifier.push_sending import PushTarget
from notifier.push_subscriptions import PushSubscriptions

ENDPOINT_REFUSED = Refusal(
    422,
    "push_endpoint_refused",
    Message(
        "この通知の受け取り先は登録できません。",
        "This push notification endpoint cannot be registered.",
    ),
)
KEYS_REFUSED = Refusal(
    422,
    "push_keys_invalid",
    Message(
        "通知の暗号鍵が正しくありません。",
        "The push subscription's keys are not valid.",
    ),
)
SUBSCRIPTION_NOT_FOUND = Refusal(
    404,
    "push_subscription_not_found",
    Message("この通知の登録は見つかりません。", "This push subscription was not found."),
)

BASE64URL = r"^[A-Za-z0-9_-]+={0,2}$"


@dataclass(frozen=True)
class PushRegistry:
    """What the routes need, from the composition root."""

    subscriptions: PushSubscriptions
    vapid_public_key: str
    allow_test_loopback: bool = False


PUSH_REGISTRY = Wired[PushRegistry]("push_registry")
Registry = Annotated[PushRegistry, Depends(PUSH_REGISTRY)]


class SubscriptionKeys(RequestBody):
    p256dh: str = Field(max_length=128, pattern=BASE64URL)
    auth: str = Field(max_length=64, pattern=BASE64URL)


class PushSubscriptionBody(RequestBody):
    """The browser's PushSubscription JSON, as `subscription.toJSON()` gives it."""

    endpoint: str = Field(max_length=MAX_ENDPOINT_LENGTH)
    expirationTime: float | None = None  # the browser's own name; kept by nobody
    keys: SubscriptionKeys


class SubscriptionCreated(BaseModel):
    subscription_id: uuid.UUID


class VapidPublicKey(BaseModel):
    public_key: str = Field(description="The application server key (base64url, P-256)")


def _decoded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def _checked_keys(keys: SubscriptionKeys) -> None:
    """A P-256 public key (65 bytes, a point on the curve) and a 16-byte auth secret, or 422."""
    try:
        public = _decoded(keys.p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
        auth_secret = _decoded(keys.auth)
    except (ValueError, binascii.Error):
        raise KEYS_REFUSED.error() from None
    if len(public) != 65 or len(auth_secret) != 16:
        raise KEYS_REFUSED.error()


customer_router = APIRouter(
    prefix="/api/v1", tags=["push"], dependencies=[Depends(outside_maintenance)]
)


@customer_router.post(
    "/me/push-subscriptions",
    status_code=201,
    response_model=SubscriptionCreated,
    responses=ERRORS.responses_for(*NOT_SIGNED_IN, ENDPOINT_REFUSED, KEYS_REFUSED),
)
async def register_push_subscription(
    body: PushSubscriptionBody, customer_id: CustomerId, registry: Registry
) -> SubscriptionCreated:
    """Registers this browser for the customer's push notifications (which kinds are pushed is
    the notification settings' push column)."""
    try:
        await check_endpoint(body.endpoint, allow_test_loopback=registry.allow_test_loopback)
    except EndpointRefused:
        raise ENDPOINT_REFUSED.error() from None
    _checked_keys(body.keys)
    target = PushTarget(body.endpoint, body.keys.p256dh, body.keys.auth)
    return SubscriptionCreated(
        subscription_id=await registry.subscriptions.add(customer_id, target)
    )


@customer_router.delete(
    "/me/push-subscriptions/{subscription_id}",
    status_code=204,
    responses=ERRORS.responses_for(*NOT_SIGNED_IN, SUBSCRIPTION_NOT_FOUND),
)
async def remove_push_subscription(
    subscription_id: uuid.UUID, customer_id: CustomerId, registry: Registry
) -> Response:
    """Push turned off on this browser (or the customer logs out of the app)."""
    if not await registry.subscriptions.remove(customer_id, subscription_id):
        raise SUBSCRIPTION_NOT_FOUND.error()
    return Response(status_code=204)


@customer_router.get("/push/vapid-public-key", response_model=VapidPublicKey)
async def vapid_public_key(registry: Registry) -> VapidPublicKey:
    """The key the app passes to PushManager.subscribe (applicationServerKey). When it
    changes (python -m notifier.admin generate-vapid-key), the app subscribes again."""
    return VapidPublicKey(public_key=registry.vapid_public_key)
