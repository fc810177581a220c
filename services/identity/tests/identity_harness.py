"""A real identity service per test: its own database, its own registration topic, the session's
Kafka broker, and a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from service_harness import ServiceUnderTest

from claims_shared.events import UserRegistered, encode, new_envelope, topics
from claims_shared.passwords import hash_password
from devinfra.testing import eventually, publish, topic_prefix
from identity.main import build
from identity.settings import IdentitySettings

PASSWORD = "correct horse battery"


def a_customer(password: str = PASSWORD) -> dict[str, Any]:
    """A new customer's account fields, as a UserRegistered carries them to identity."""
    return dict(
        user_id=uuid.uuid4(),
        customer_id=f"C{uuid.uuid4().hex[:8]}",
        email=f"taro.{uuid.uuid4().hex[:8]}@example.jp",
        policy_numbers=["A123456789"],
        password_hash=hash_password(password),
        must_change_password=False,
    )


@dataclass
class Identity(ServiceUnderTest[IdentitySettings]):
    async def register(self, password: str = PASSWORD, **overrides: Any) -> UserRegistered:
        """Publish a UserRegistered as the registration service would, and wait for the account."""
        fields = {**a_customer(password), "registration_method": "procedure_code"}
        event = UserRegistered(**{**fields, **overrides})
        await self.publish(event)
        await eventually(lambda: self.account_known(event.email))
        return event

    async def publish(self, event: UserRegistered, envelope_id: uuid.UUID | None = None) -> None:
        envelope = new_envelope(event, producer="registration", event_id=envelope_id)
        await publish(
            self.bootstrap,
            self.topic(topics.REGISTRATION_EVENTS),
            event.customer_id,
            encode(envelope),
        )

    async def account_known(self, email: str) -> bool:
        """The log-in lookup has the account (the projection runs a moment after the event)."""
        return bool(
            await self.app.state.sign_in.emails.pool.fetchval(
                "SELECT 1 FROM account_emails WHERE email = $1", email.lower()
            )
        )

    async def log_in(self, email: str, password: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/sessions", json={"email": email, "password": password}
        )


def identity_settings(infrastructure: Any, database_url: str, **overrides: Any) -> IdentitySettings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        **infrastructure.kafka_settings("identity"),
        "kafka_topic_prefix": topic_prefix(),
        "throttle_after_failures": 3,
        "lock_after_failures": 5,
        "lock_minutes": 30,
        "throttle_first_delay_seconds": 2,
    }
    return IdentitySettings(**{**fields, **overrides})


@pytest.fixture
async def identity(infrastructure: Any, database_url: str) -> AsyncIterator[Identity]:
    settings = identity_settings(infrastructure, database_url)
    app = partial(build, settings)
    async with Identity.serving(settings, app, "http://identity") as service:
        yield service
