"""A push service for tests, on 127.0.0.1: it receives what the notifier POSTs to a subscription's
endpoint and checks it as a real push service and browser would, with code of its own rather
than the notifier's libraries: the VAPID JWT (RFC 8292) verified with ES256 against the public
key in the header's `k=`, its audience, expiry and subject; then the body decrypted (RFC 8291,
aes128gcm) with the subscription's private key and auth secret, which only the browser holds.
Each subscription can be told to answer 404 or 410 (gone) instead of 201."""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI, Request, Response

from devinfra.testing import serve_http


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """What a browser's PushManager.subscribe() keeps: the endpoint, its key pair and secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    answer: int = 201

    def json(self) -> dict[str, Any]:
        """The PushSubscription JSON the app POSTs to /api/v1/me/push-subscriptions."""
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth_secret)},
        }


@dataclass(frozen=True)
class ReceivedPush:
    token: str
    payload: dict[str, Any]
    vapid_claims: dict[str, Any]
    vapid_public_key: str
    ttl: int
    answered: int


@dataclass
class LoopbackPushService:
    base_url: str = ""
    subscriptions: dict[str, BrowserSubscription] = field(default_factory=dict)
    received: list[ReceivedPush] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a request was not a valid push

    def subscribe(self, answer: int = 201) -> BrowserSubscription:
        token = secrets.token_urlsafe(16)
        subscription = BrowserSubscription(
            f"{self.base_url}/push/{token}",
            ec.generate_private_key(ec.SECP256R1()),
            os.urandom(16),
            answer,
        )
        self.subscriptions[token] = subscription
        return subscription

    def pushes_to(self, subscription: BrowserSubscription) -> list[ReceivedPush]:
        return [p for p in self.received if subscription.endpoint.endswith(f"/push/{p.token}")]

    def receive(self, token: str, headers: dict[str, str], body: bytes) -> int:
        subscription = self.subscriptions.get(token)
        if subscription is None:
            return 404
        try:
            public_key, claims = self._verified_vapid(headers.get("authorization", ""))
            if headers.get("content-encoding") != "aes128gcm":
                raise ValueError(f"content-encoding {headers.get('content-encoding')!r}")
            plain = http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=subscription.auth_secret,
                version="aes128gcm",
            )
            payload = json.loads(plain)
            ttl = int(headers["ttl"])
        except Exception as error:  # the test reads why in `refused`
            self.refused.append(repr(error))
            return 400
        self.received.append(
            ReceivedPush(token, payload, claims, public_key, ttl, subscription.answer)
        )
        return subscription.answer

    def _verified_vapid(self, authorization: str) -> tuple[str, dict[str, Any]]:
        scheme, _, parameters = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"authorization scheme {scheme!r}")
        parts = dict(p.strip().split("=", 1) for p in parameters.split(","))
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        claims: dict[str, Any] = jwt.decode(
            parts["t"],
            key=key,
            algorithms=["ES256"],
            audience=self.base_url,
            options={"require": ["aud", "exp", "sub"]},
        )
        if claims["exp"] > time.time() + 24 * 3600:
            raise ValueError("a VAPID token may live at most 24 hours")
        if not str(claims["sub"]).startswith(("mailto:", "https://")):
            raise ValueError(f"sub {claims['sub']!r}")
        return parts["k"], claims


def push_app(service: LoopbackPushService) -> FastAPI:
    app = FastAPI()

    @app.post("/push/{token}")
    async def push(token: str, request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return Response(status_code=service.receive(token, headers, await request.body()))

    return app


@contextmanager
def running_push_service() -> Iterator[LoopbackPushService]:
    service = LoopbackPushService()
    with serve_http(push_app(service)) as base_url:
        service.base_url = base_url
        yield service
