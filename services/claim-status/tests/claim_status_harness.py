"""A real claim-status service per test: its own database and topic prefix, the session's broker,
and access tokens signed by a key the test owns (identity's own tokens are tested in identity)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from service_harness import ServiceUnderTest

from claim_status.main import build
from claim_status.settings import ClaimStatusSettings
from claims_shared.events import AdjusterUpdate, encode, new_envelope, topics
from devinfra.testing import ManualClock, eventually, in_process, publish, topic_prefix

KEY = Ed25519PrivateKey.generate()
KID = "test-key"


async def key_set() -> dict[str, Any]:
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": KID, "alg": "EdDSA", "use": "sig"}]}


def token(
    clock: ManualClock,
    *,
    customer_id: str | None = None,
    roles: list[str] | None = None,
    scope: str = "customer",
) -> str:
    now = int(clock.now.timestamp())
    claims: dict[str, Any] = {
        "iss": "claims-status-identity",
        "aud": "claims-status",
        "sub": str(uuid.uuid4()),
        "scope": scope,
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    }
    if customer_id:
        claims["customer_id"] = customer_id
    if roles:
        claims["roles"] = roles
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": KID})


@dataclass
class ClaimLog:
    """Builds a claim's updates with sequence numbers counted for it."""

    claim_id: str = field(default_factory=lambda: f"CL-{uuid.uuid4().hex[:10]}")
    sequence: int = 0

    def next(self, kind: str, clock: ManualClock, **data: Any) -> AdjusterUpdate:
        self.sequence += 1
        clock.advance(minutes=1)
        return AdjusterUpdate.of(
            update_id=uuid.uuid4(),
            claim_id=self.claim_id,
            sequence=self.sequence,
            occurred_at=clock.now,
            adjuster_id="ADJ-017",
            type=kind,
            data=data,
        )  # type: ignore[arg-type]

    def payment(
        self,
        clock: ManualClock,
        payment_id: str,
        coverage: str,
        amount: int,
        *,
        scheduled_on: str,
        paid_on: str,
    ) -> list[AdjusterUpdate]:
        """A payment scheduled and then made: its two updates."""
        paid = {"payment_id": payment_id, "coverage": coverage, "amount": amount}
        return [
            self.next("payment_scheduled", clock, **paid, scheduled_on=scheduled_on),
            self.next("payment_made", clock, **paid, paid_on=paid_on),
        ]


@dataclass
class ClaimStatusService(ServiceUnderTest[ClaimStatusSettings]):
    async def send(self, *updates: AdjusterUpdate) -> None:
        for update in updates:
            await publish(
                self.bootstrap,
                self.topic(topics.ADJUSTER_UPDATES),
                update.claim_id,
                encode(new_envelope(update, producer="claims-core")),
            )

    def as_customer(self, customer_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.clock, customer_id=customer_id)}"}

    def as_adjuster(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(self.clock, roles=['adjuster'], scope='staff')}"}

    async def post_update(
        self, update: AdjusterUpdate, caller: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST an update to its claim as the adjusters' system does."""
        return await self.post_raw_update(update.claim_id, update.model_dump_json(), caller)

    async def post_raw_update(
        self, claim_id: str, body: str, caller: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST a JSON body to a claim's updates, with an adjuster's token unless `caller`
        gives other headers."""
        return await self.client.post(
            f"/api/v1/adjuster/claims/{claim_id}/updates",
            content=body,
            headers={**(caller or self.as_adjuster()), "Content-Type": "application/json"},
        )

    async def accident(
        self, customer_id: str, claim_id: str, language: str = "ja"
    ) -> httpx.Response:
        return await self.client.get(
            f"/api/v1/me/accidents/{claim_id}",
            headers={**self.as_customer(customer_id), "Accept-Language": language},
        )

    async def strand(self, update: AdjusterUpdate) -> None:
        """Send an update whose earlier sequence has not come, and let its hold time pass."""
        await self.send(update)
        intake = self.app.state.intake
        await eventually(
            lambda: intake.held.pool.fetchval(
                "SELECT count(*) FROM held_updates WHERE update_id = $1", str(update.update_id)
            )
        )
        self.clock.advance(seconds=self.settings.hold_early_updates_seconds + 1)

    async def accident_at(self, customer_id: str, claim_id: str, sequence: int) -> dict[str, Any]:
        """The detail once the read model has folded `sequence` of this claim."""

        async def seen() -> dict[str, Any] | None:
            response = await self.accident(customer_id, claim_id)
            if response.status_code != 200:
                return None
            body: dict[str, Any] = response.json()
            return body if len(body["timeline"]) >= sequence else None

        return await eventually(seen)


def claim_status_settings(
    infrastructure: Any, database_url: str, **overrides: Any
) -> ClaimStatusSettings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        **infrastructure.kafka_settings("claim-status"),
        "kafka_topic_prefix": topic_prefix(),
        "sweep_interval_seconds": 0.5,
    }
    return ClaimStatusSettings(**{**fields, **overrides})


async def open_claim(service: ClaimStatusService, customer_id: str) -> ClaimLog:
    """A claim opened for the customer, once their accident list shows it."""
    log = ClaimLog()
    await service.send(opened(log, service.clock, customer_id))
    await service.accident_at(customer_id, log.claim_id, 1)
    return log


def rebuild(database_url: str, version: int) -> subprocess.CompletedProcess[str]:
    """`python -m claim_status.rebuild --version N` on this database, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "claim_status.rebuild", "--version", str(version)],
        env={**os.environ, "CLAIM_STATUS_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


def claim_status_process(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """claim-status as a process of its own (`python -m claim_status`), its output discarded:
    for the tests that kill it."""
    return subprocess.Popen(
        [sys.executable, "-m", "claim_status"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@asynccontextmanager
async def read_replica(
    service: ClaimStatusService, infrastructure: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A read-only instance (CLAIM_STATUS_READ_ONLY, no workers) over the service's database,
    which from now on refuses every write as a hot standby does."""
    url = service.settings.database_url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET default_transaction_read_only = on'
        )
    settings = claim_status_settings(
        infrastructure,
        url,
        read_only=True,
        workers="",
        kafka_topic_prefix=service.settings.kafka_topic_prefix,
    )
    async with in_process(build(settings, clock=service.clock, fetch_keys=key_set)) as replica:
        yield replica


@asynccontextmanager
async def claim_status_serving(settings: ClaimStatusSettings) -> AsyncIterator[ClaimStatusService]:
    """claim-status with these settings served in process, taking the test key's tokens."""
    app = partial(build, settings, fetch_keys=key_set)
    async with ClaimStatusService.serving(settings, app, "http://claim-status") as service:
        yield service


@pytest.fixture
async def claim_status(infrastructure: Any, database_url: str) -> AsyncIterator[ClaimStatusService]:
    settings = claim_status_settings(infrastructure, database_url)
    async with claim_status_serving(settings) as service:
        yield service


ACCIDENT: dict[str, str] = {
    "accident_date": "2026-11-19",
    "location": "東京都千代田区",
    "summary": "交差点での追突事故",
    "vehicle": "トヨタ プリウス",
}
"""The accident every test claim is for."""


def reported(customer_id: str, policy_number: str) -> dict[str, str]:
    """A claim_opened update's data: whose claim, under which policy, and the accident."""
    return {"customer_id": customer_id, "policy_number": policy_number, **ACCIDENT}


def opened(log: ClaimLog, clock: ManualClock, customer_id: str) -> AdjusterUpdate:
    return log.next("claim_opened", clock, **reported(customer_id, "A2026000001"))
