"""Sending a Web Push: a short JSON message {title, body, url}, encrypted for the subscription
(RFC 8291, aes128gcm), signed with the notifier's VAPID key (RFC 8292) and POSTed to the
subscription's push service (RFC 8030) with a TTL.

`WebPushSender` is the port the sweeper calls; `PyWebPushSender` adapts pywebpush, whose
requests-based call runs in a thread. The endpoint is checked before the call
(notifier.push_endpoints), and the address each connection actually reaches is checked again, so
a name that resolves elsewhere by the time of the call (DNS rebinding) reaches nothing internal.
No redirect is followed and no proxy from the environment is used: the request goes where the
checked endpoint says, or nowhere. A push service answering 404 or 410 says the subscription is
gone (the browser unsubscribed, or the app was removed): the caller deletes it."""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import socket
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from prometheus_client import Counter
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from notifier.push_endpoints import (
    TEST_LOOPBACK_HOST,
    EndpointRefused,
    address_allowed,
    check_endpoint,
)

PUSHES_SENT = Counter("notifier_pushes_sent_total", "Pushes a push service accepted")
PUSH_FAILURES = Counter(
    "notifier_push_failures_total", "Pushes not delivered, by reason", ["reason"]
)


@dataclass(frozen=True)
class PushMessage:
    """What the phone shows: no personal or claim details, only a link to open after log-in."""

    title: str
    body: str
    url: str

    def payload(self) -> str:
        return json.dumps(
            {"title": self.title, "body": self.body, "url": self.url}, ensure_ascii=False
        )


@dataclass(frozen=True)
class PushTarget:
    """A browser's push subscription (its PushSubscription JSON, as stored)."""

    endpoint: str
    p256dh: str
    auth: str


class SubscriptionGone(Exception):
    """The push service answered 404 or 410: the subscription no longer exists."""


class PushFailed(Exception):
    """Any other failure (a 5xx, 429, a time-out, a refused connection): worth a later try."""


class WebPushSender(Protocol):
    async def send(self, target: PushTarget, message: PushMessage) -> None:
        """Delivered to the push service, or raises SubscriptionGone, EndpointRefused or
        PushFailed."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_public_key(private_key: str) -> str:
    """The application server key browsers subscribe with (base64url, uncompressed P-256)."""
    public = Vapid.from_string(private_key=private_key).public_key
    return _b64url(
        public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def generate_vapid_key() -> tuple[str, str]:
    """A new VAPID key: (private, base64url raw 32 bytes; public application server key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = _b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    return private, vapid_public_key(private)


def _checked_peer(sock: socket.socket, host: str, allow_test_loopback: bool) -> socket.socket:
    address = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
    allowed = address_allowed(
        address, allow_test_loopback=allow_test_loopback and host == TEST_LOOPBACK_HOST
    )
    if not allowed:
        sock.close()
        raise EndpointRefused(f"the endpoint's connection reached an internal address ({address})")
    return sock


class _CheckedHTTPConnection(HTTPConnection):
    allow_test_loopback = False

    def _new_conn(self) -> socket.socket:
        return _checked_peer(super()._new_conn(), self.host, self.allow_test_loopback)


class _CheckedHTTPSConnection(HTTPSConnection):
    allow_test_loopback = False

    def _new_conn(self) -> socket.socket:
        return _checked_peer(super()._new_conn(), self.host, self.allow_test_loopback)


class _CheckedAdapter(HTTPAdapter):
    """Connections whose peer address is checked the moment they connect."""

    def __init__(self, allow_test_loopback: bool) -> None:
        self.allow_test_loopback = allow_test_loopback
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        checked = {"allow_test_loopback": self.allow_test_loopback}
        http_connection = type("Connection", (_CheckedHTTPConnection,), checked)
        https_connection = type("Connection", (_CheckedHTTPSConnection,), checked)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
            "https": type("Pool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}),
        }


class _PushSession(requests.Session):
    """Never follows a redirect (a 3xx is a failed push) and ignores proxy variables."""

    def __init__(self, allow_test_loopback: bool) -> None:
        super().__init__()
        self.trust_env = False
        self.mount("https://", _CheckedAdapter(allow_test_loopback))
        self.mount("http://", _CheckedAdapter(allow_test_loopback))

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


class PyWebPushSender:
    """WebPushSender with pywebpush; one requests session per sender, used from threads."""

    def __init__(
        self,
        *,
        vapid_private_key: str,
        vapid_subject: str,
        ttl_seconds: int,
        timeout_seconds: float,
        allow_test_loopback: bool = False,
    ) -> None:
        self._vapid = Vapid.from_string(private_key=vapid_private_key)
        self._subject = vapid_subject
        self._ttl = ttl_seconds
        self._timeout = timeout_seconds
        self._allow_test_loopback = allow_test_loopback
        self._session = _PushSession(allow_test_loopback)

    async def send(self, target: PushTarget, message: PushMessage) -> None:
        try:
            await check_endpoint(target.endpoint, allow_test_loopback=self._allow_test_loopback)
            await asyncio.to_thread(self._send, target, message)
        except SubscriptionGone:
            PUSH_FAILURES.labels("gone").inc()
            raise
        except EndpointRefused:
            PUSH_FAILURES.labels("endpoint_refused").inc()
            raise
        except PushFailed:
            PUSH_FAILURES.labels("failed").inc()
            raise
        PUSHES_SENT.inc()

    def _send(self, target: PushTarget, message: PushMessage) -> None:
        try:
            webpush(
                {
                    "endpoint": target.endpoint,
                    "keys": {"p256dh": target.p256dh, "auth": target.auth},
                },
                data=message.payload(),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},  # pywebpush adds aud and exp to this dict
                content_encoding="aes128gcm",
                ttl=self._ttl,
                timeout=self._timeout,
                requests_session=self._session,
            )
        except WebPushException as error:
            status = error.status_code
            if status in (404, 410):
                raise SubscriptionGone(f"the push service answered {status}") from None
            raise PushFailed(f"the push service answered {status}") from None
        except requests.RequestException as error:
            raise PushFailed(f"the push service could not be reached ({error!r})") from None
