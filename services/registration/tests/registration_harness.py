"""A real registration service per test: its own database and topic prefix, the session's broker,
policies published on policy.records as the policy system would, and a clock the test moves."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import httpx
import pytest
from service_harness import ServiceUnderTest

from claims_shared.events import PolicyRecorded, encode, new_envelope, topics
from claims_shared.passwords import hash_password
from devinfra.testing import eventually, publish, topic_prefix
from registration.main import build
from registration.settings import RegistrationSettings


def policy_record(
    number: str,
    *,
    contract_type: str = "individual",
    code: str | None = "483921",
    state: str = "issued",
    expires_on: date | None = date(2027, 3, 31),
    full_name: str = "山田 太郎",
    kana: str = "ヤマダ タロウ",
    born: date = date(1980, 5, 17),
) -> PolicyRecorded:
    """A policy as the policy system records it, with a new customer id."""
    return PolicyRecorded.model_validate(
        {
            "policy_number": number,
            "contract_type": contract_type,
            "customer_id": f"C{uuid.uuid4().hex[:8]}",
            "holder": {"full_name": full_name, "full_name_kana": kana, "date_of_birth": born},
            "procedure_code": {
                "state": state,
                "hash": hash_password(code) if code else None,
                "expires_on": expires_on,
            },
            "valid_from": date(2026, 4, 1),
            "valid_to": date(2027, 3, 31),
        }
    )


@dataclass
class RegistrationService(ServiceUnderTest[RegistrationSettings]):
    async def record_policy(self, **fields: Any) -> PolicyRecorded:
        """Publish a PolicyRecorded as the policy system does (`fields` as policy_record takes
        them); wait until the view has it."""
        number = f"A{uuid.uuid4().int % 10**9:09d}"
        policy = policy_record(number, **fields)
        await publish(
            self.bootstrap,
            self.topic(topics.POLICY_RECORDS),
            number,
            encode(new_envelope(policy, producer="policy-admin")),
        )
        await eventually(
            lambda: self.app.state.journeys.policies.pool.fetchval(
                "SELECT 1 FROM policies WHERE policy_number = $1", number
            )
        )
        return policy

    async def start(self, policy_number: str, code: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/registrations/procedure-code",
            json={"policy_number": policy_number, "procedure_code": code},
        )

    async def set_account(
        self, started: dict[str, Any], email: str, password: str
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/registrations/{started['registration_id']}/account",
            json={"email": email, "password": password},
            headers={"Authorization": f"Bearer {started['registration_token']}"},
        )

    async def details(self, **fields: str) -> httpx.Response:
        return await self.client.post("/api/v1/registrations/details", json=fields)


def registration_settings(
    infrastructure: Any, database_url: str, prefix: str
) -> RegistrationSettings:
    return RegistrationSettings(
        database_url=database_url,
        kafka_topic_prefix=prefix,
        **infrastructure.kafka_settings("registration"),
    )


@pytest.fixture
async def registration(
    infrastructure: Any, database_url: str
) -> AsyncIterator[RegistrationService]:
    settings = registration_settings(infrastructure, database_url, topic_prefix())
    app = partial(build, settings)
    async with RegistrationService.serving(settings, app, "http://registration") as service:
        yield service
