"""claim-status killed with SIGKILL at random moments while a customer uploads: every upload
that was answered 201 is stored and announced on claims.customer-submissions, each under one
event id (a relay republishing its last batch after the kill repeats the same id, which
consumers drop)."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import uuid
from datetime import UTC, datetime
from typing import Any

import botocore.session
import httpx
import pytest
from document_samples import PDF
from fastapi import FastAPI

from claim_status_harness import ClaimLog, claim_status_process, key_set, opened, token
from claims_shared.events import topics
from devinfra.object_store import ObjectStore
from devinfra.paths import free_port
from devinfra.testing import ManualClock, eventually, find_envelopes, serve_http, topic_prefix

KILLS = 3
MAX_UPLOADS = 2_000  # a bound, never reached: the loop ends after the last kill
PACE_SECONDS = 0.02


def jwks_app() -> FastAPI:
    app = FastAPI()

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return await key_set()

    return app


@pytest.mark.slow
async def test_killed_during_uploads_every_201_is_stored_and_announced_once(
    infrastructure: Any,
    database_url: str,
    clamd_address: str,
    object_store: ObjectStore,
    bucket: str,
) -> None:
    prefix, port, clock = topic_prefix(), free_port(), ManualClock(datetime.now(UTC))
    customer_id, log = f"C-{uuid.uuid4().hex[:8]}", ClaimLog()
    customer = {"Authorization": f"Bearer {token(clock, customer_id=customer_id)}"}
    adjuster = {"Authorization": f"Bearer {token(clock, roles=['adjuster'], scope='staff')}"}
    with serve_http(jwks_app()) as jwks_url:
        env = {
            **os.environ,
            "CLAIM_STATUS_DATABASE_URL": database_url,
            **infrastructure.kafka_env("claim-status"),
            "KAFKA_TOPIC_PREFIX": prefix,
            "CLAIM_STATUS_HTTP_PORT": str(port),
            "IDENTITY_JWKS_URL": f"{jwks_url}/jwks",
            "CLAIM_STATUS_OBJECT_STORE_URL": object_store.url,
            "CLAIM_STATUS_OBJECT_STORE_BUCKET": bucket,
            "CLAIM_STATUS_OBJECT_STORE_ACCESS_KEY": object_store.access_key,
            "CLAIM_STATUS_OBJECT_STORE_SECRET_KEY": object_store.secret_key,
            "CLAIM_STATUS_CLAMD_ADDRESS": clamd_address,
            "CLAIM_STATUS_UPLOADS_PER_HOUR": "100000",
            "LOG_LEVEL": "WARNING",
        }

        service = claim_status_process(env)
        base = f"http://127.0.0.1:{port}"
        accepted: list[str] = []
        accepted_at_kills: list[int] = []
        uploading_at_kills: list[bool] = []
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:

            async def answers() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            try:
                await eventually(answers)
                opening = opened(log, clock, customer_id).model_dump_json()
                await eventually(
                    lambda: _posted(
                        client, f"/api/v1/adjuster/claims/{log.claim_id}/updates", opening, adjuster
                    )
                )
                await eventually(lambda: _found(client, log.claim_id, customer))

                kills_done = asyncio.Event()

                async def uploads() -> None:
                    """Upload until every kill is behind us (bounded, paced so a fast machine
                    does not finish before the first kill)."""
                    for n in range(MAX_UPLOADS):
                        if kills_done.is_set():
                            return
                        content = PDF + f"% upload {n}\n".encode()
                        try:
                            response = await client.post(
                                f"/api/v1/me/accidents/{log.claim_id}/documents",
                                files={"file": (f"doc-{n}.pdf", content, "application/pdf")},
                                headers=customer,
                            )
                        except httpx.TransportError:  # killed: wait for the next start
                            await eventually(answers)
                            continue
                        if response.status_code == 201:
                            accepted.append(response.json()["document_id"])
                        await asyncio.sleep(PACE_SECONDS)

                sending = asyncio.create_task(uploads())
                rng = random.Random(7)
                for _ in range(KILLS):
                    await asyncio.sleep(rng.uniform(0.3, 1.2))
                    uploading_at_kills.append(not sending.done())
                    accepted_at_kills.append(len(accepted))
                    service.send_signal(signal.SIGKILL)
                    service.wait()
                    service = claim_status_process(env)
                    await eventually(answers)
                last = len(accepted)
                await eventually(lambda: _more_than(accepted, last))
                accepted_at_kills.append(len(accepted))
                kills_done.set()
                await sending
                await eventually(answers)
                announced = await find_envelopes(
                    infrastructure.kafka_bootstrap_servers,
                    prefix + topics.CUSTOMER_SUBMISSIONS,
                    lambda e: e["data"]["claim_id"] == log.claim_id,
                    expected=len(accepted) * 2,
                    timeout=15,
                )
            finally:
                service.terminate()
                service.wait(timeout=20)

    assert all(uploading_at_kills), "every kill came while uploads went on"
    assert all(before < after for before, after in itertools.pairwise(accepted_at_kills)), (
        f"uploads got 201 between every two kills and after the last: {accepted_at_kills}"
    )
    ids_of: dict[str, set[str]] = {}
    for envelope in announced:
        ids_of.setdefault(envelope["data"]["document_id"], set()).add(envelope["event_id"])
    assert set(accepted) <= set(ids_of), f"every 201 ({len(accepted)}, {KILLS} kills) announced"
    assert all(len(ids) == 1 for ids in ids_of.values()), "each document under one event id"
    client_s3 = botocore.session.get_session().create_client("s3", **object_store.client_options())
    for document_id in accepted:
        key = f"documents/{log.claim_id}/{document_id}"
        assert client_s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0


async def _posted(client: httpx.AsyncClient, path: str, body: str, headers: dict[str, str]) -> bool:
    try:
        response = await client.post(
            path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    except httpx.TransportError:
        return False
    return response.status_code == 202


async def _found(client: httpx.AsyncClient, claim_id: str, headers: dict[str, str]) -> bool:
    return (
        await client.get(f"/api/v1/me/accidents/{claim_id}", headers=headers)
    ).status_code == 200


async def _more_than(accepted: list[str], count: int) -> bool:
    return len(accepted) > count
