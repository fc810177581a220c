"""A real notifier per test: its own database and topic prefix, the session's broker and SMTP
server; mails are read back from the SMTP server's JSON listing."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from claims_shared.events import (
    EventData,
    TemporaryPasswordIssued,
    UserRegistered,
    encode,
    new_envelope,
)
from claims_shared.passwords import hash_password, seal_for_notifier
from claims_shared.settings import DEVELOPMENT_SEALING_PUBLIC_KEY
from devinfra import kafka_clients
from devinfra.testing import ManualClock, in_process, publish, topic_prefix
from notifier.main import build
from notifier.settings import NotifierSettings


@dataclass
class NotifierService:
    app: FastAPI
    settings: NotifierSettings
    bootstrap: str
    mail_web_url: str

    async def publish(
        self, data: EventData, key: str, event_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        envelope = new_envelope(data, producer="test", event_id=event_id)
        await publish(
            self.bootstrap, self.settings.kafka_topic_prefix + data.topic, key, encode(envelope)
        )
        return envelope.event_id

    async def publish_all(self, events: list[tuple[EventData, str]]) -> None:
        """Through one producer, so a burst reaches the broker within milliseconds."""
        producer = AIOKafkaProducer(
            **kafka_clients.client(self.bootstrap), enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            for data, key in events:
                await producer.send_and_wait(
                    self.settings.kafka_topic_prefix + data.topic,
                    encode(new_envelope(data, producer="test")),
                    key=key.encode(),
                )
        finally:
            await producer.stop()

    async def pending_notices(self) -> list[str]:
        """Claim ids of "status updated" notices scheduled and not yet sent."""
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            rows = await conn.fetch("SELECT claim_id FROM status_notices ORDER BY claim_id")
            return [row["claim_id"] for row in rows]
        finally:
            await conn.close()

    async def customer_known(self, customer_id: str) -> bool:
        """The customer directory (from registration.events) has this customer."""
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            return bool(
                await conn.fetchval("SELECT 1 FROM customers WHERE customer_id = $1", customer_id)
            )
        finally:
            await conn.close()

    async def mails_to(self, address: str) -> list[dict[str, Any]]:
        """Mails to `address`. The shared mail catcher lists every mail of every test: on a
        busy machine that takes seconds, so the read has time to spare."""
        async with httpx.AsyncClient(timeout=60) as client:
            listing = (await client.get(f"{self.mail_web_url}/api/messages")).json()
        return [m for m in listing if address in m["to"]]


# What the status, request and new-message mails say in place of a link (they carry none).
WHERE_TO_LOOK = {
    "ja": "お客さまWebサービス（ブックマークまたはアプリ）からログインし、"
    "事故一覧で対象の事故をご確認ください。",
    "en": "Log in to the customer web service (from your bookmark or the app) and open the "
    'accident under "Your accidents".',
}


def notifier_settings(infrastructure: Any, database_url: str, **overrides: Any) -> NotifierSettings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        **infrastructure.kafka_settings("notifier"),
        "kafka_topic_prefix": topic_prefix(),
        "smtp_host": infrastructure.smtp_host,
        "smtp_port": infrastructure.smtp_port,
        "contact_desk": "0120-000-000",
        # Short, so tests that wait for a "status updated" mail (here, tests/browser,
        # tests/test_registration_journeys.py) get it promptly; bursts tests set their own.
        "status_mail_window_seconds": 0.5,
    }
    return NotifierSettings(**{**fields, **overrides})


@pytest.fixture
async def notifier(infrastructure: Any, database_url: str) -> AsyncIterator[NotifierService]:
    settings = notifier_settings(infrastructure, database_url)
    app = build(settings, clock=ManualClock())
    async with in_process(app):
        yield NotifierService(
            app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
        )


EXPIRES = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


def registered(email: str, temporary: str | None, language: str = "ja") -> UserRegistered:
    return UserRegistered(
        user_id=uuid.uuid4(),
        customer_id=f"C{uuid.uuid4().hex[:8]}",
        email=email,
        policy_numbers=["A1"],
        password_hash=hash_password(temporary or "x" * 12),
        must_change_password=temporary is not None,
        registration_method="details" if temporary else "procedure_code",
        sealed_temporary_password=seal_for_notifier(temporary, DEVELOPMENT_SEALING_PUBLIC_KEY)
        if temporary
        else None,
        temporary_password_expires_at=EXPIRES if temporary else None,
        language=language,
    )


def temporary_password_issued(
    email: str, temporary: str, customer_id: str
) -> TemporaryPasswordIssued:
    """A reset's temporary password, sealed for the notifier as identity seals it."""
    return TemporaryPasswordIssued(
        user_id=uuid.uuid4(),
        customer_id=customer_id,
        email=email,
        sealed_temporary_password=seal_for_notifier(temporary, DEVELOPMENT_SEALING_PUBLIC_KEY),
        expires_at=EXPIRES,
    )


def unique_email() -> str:
    return f"hanako.{uuid.uuid4().hex[:8]}@example.jp"


# Customers' access tokens for the notifier's routes, signed by a key the tests own (identity's
# own tokens are tested in identity): `key_set` is the JWKS to build the notifier with
# (`build(..., fetch_keys=key_set)`).
TOKEN_KEY = Ed25519PrivateKey.generate()
KID = "notifier-test-key"


async def key_set() -> dict[str, Any]:
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(TOKEN_KEY.public_key()))
    return {"keys": [{**public, "kid": KID, "alg": "EdDSA", "use": "sig"}]}


def customer_token(customer_id: str, scope: str = "customer") -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "claims-status-identity",
        "aud": "claims-status",
        "sub": str(uuid.uuid4()),
        "scope": scope,
        "customer_id": customer_id,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    }
    return jwt.encode(claims, TOKEN_KEY, algorithm="EdDSA", headers={"kid": KID})


def bearer(customer_id: str, scope: str = "customer") -> dict[str, str]:
    return {"Authorization": f"Bearer {customer_token(customer_id, scope)}"}
