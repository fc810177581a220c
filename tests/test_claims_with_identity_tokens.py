"""claim-status trusts identity's tokens through identity's JWKS over HTTP, as deployed: a staff
adjuster's token posts updates, the policyholder's token reads them, another customer's does not."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from claim_status.main import build as build_claim_status
from claim_status_harness import ClaimLog, claim_status_settings, opened
from claims_shared.events import UserRegistered, encode, new_envelope, topics
from claims_shared.passwords import hash_password
from devinfra.testing import (
    ManualClock,
    eventually,
    in_process,
    publish,
    serve_http,
    topic_prefix,
)
from identity.main import build as build_identity
from identity_harness import identity_settings


@pytest.fixture
def identity_url(
    infrastructure: Any, database_factory: Callable[[], str]
) -> Iterator[tuple[str, Any]]:
    """identity served over real HTTP (claim-status fetches its JWKS from it)."""
    settings = identity_settings(
        infrastructure,
        database_factory(),
        maintenance_windows="",
        kafka_topic_prefix=topic_prefix(),
    )
    with serve_http(build_identity(settings)) as url:
        yield url, settings


async def test_identity_tokens_drive_claim_status(
    infrastructure: Any, database_url: str, identity_url: tuple[str, Any]
) -> None:
    base, id_settings = identity_url
    adjuster_email = f"adj.{uuid.uuid4().hex[:6]}@insurer.example.jp"
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "identity.admin",
            "create-staff",
            "--email",
            adjuster_email,
            "--role",
            "adjuster",
        ],
        input="Claims-Desk-Osaka-7\n",
        capture_output=True,
        text=True,
        env={**os.environ, "IDENTITY_DATABASE_URL": id_settings.database_url},
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    customers = {}
    for name in ("mine", "theirs"):
        event = UserRegistered(
            user_id=uuid.uuid4(),
            customer_id=f"C-{name}-{uuid.uuid4().hex[:4]}",
            email=f"{name}.{uuid.uuid4().hex[:6]}@example.jp",
            policy_numbers=["A1"],
            password_hash=hash_password("a good passphrase"),
            must_change_password=False,
            registration_method="procedure_code",
        )
        await publish(
            infrastructure.kafka_bootstrap_servers,
            id_settings.kafka_topic_prefix + topics.REGISTRATION_EVENTS,
            event.customer_id,
            encode(new_envelope(event, producer="test")),
        )
        customers[name] = event

    async def token(client: httpx.AsyncClient, email: str, password: str) -> str | None:
        response = await client.post(
            f"{base}/api/v1/sessions", json={"email": email, "password": password}
        )
        return response.json()["access_token"] if response.status_code == 200 else None

    clock = ManualClock()  # only dates the updates; both services run on the real clock
    settings = claim_status_settings(
        infrastructure,
        database_url,
        maintenance_windows="",
        identity_jwks_url=f"{base}/.well-known/jwks.json",
    )
    async with httpx.AsyncClient() as identity, in_process(build_claim_status(settings)) as claims:
        adjuster = await eventually(lambda: token(identity, adjuster_email, "Claims-Desk-Osaka-7"))
        mine = await eventually(
            lambda: token(identity, customers["mine"].email, "a good passphrase")
        )
        theirs = await eventually(
            lambda: token(identity, customers["theirs"].email, "a good passphrase")
        )
        log = ClaimLog()
        update = opened(log, clock, customers["mine"].customer_id)
        posted = await claims.post(
            f"/api/v1/adjuster/claims/{log.claim_id}/updates",
            content=update.model_dump_json(),
            headers={"Authorization": f"Bearer {adjuster}", "Content-Type": "application/json"},
        )
        assert posted.status_code == 202, posted.json()
        refused = await claims.post(
            f"/api/v1/adjuster/claims/{log.claim_id}/updates",
            content=update.model_dump_json(),
            headers={"Authorization": f"Bearer {mine}", "Content-Type": "application/json"},
        )
        assert refused.status_code == 403

        async def visible() -> dict[str, Any] | None:
            response = await claims.get(
                f"/api/v1/me/accidents/{log.claim_id}", headers={"Authorization": f"Bearer {mine}"}
            )
            return response.json() if response.status_code == 200 else None

        detail = await eventually(visible)
        assert detail["stage"]["label"] == "事故受付"
        foreign = await claims.get(
            f"/api/v1/me/accidents/{log.claim_id}", headers={"Authorization": f"Bearer {theirs}"}
        )
        assert foreign.status_code == 404
