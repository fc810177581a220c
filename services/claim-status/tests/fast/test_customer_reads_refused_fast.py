"""Who may read the accident list and detail, and which refusal comes first: the routes take the
customer, language, time and queries in one dependency of their own (api._customer_read) rather
than claims_shared.auth's chain, so the same answers are held here, in the same order: the
maintenance window before the token, the token (none, not identity's, expired, a temporary
password's, staff's) before the page cursor and the as_of, the cursor before the page size. No
database: every request here is refused before a query."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from claim_status.api import ERRORS, QUERIES, customer_router
from claim_status.settings import ClaimStatusSettings
from claim_status_harness import key_set, token
from claims_shared.auth import TOKEN_VERIFIER, identity_token_verifier
from claims_shared.web import create_service_app
from devinfra.testing import ManualClock

LIST, DETAIL = "/api/v1/me/accidents", "/api/v1/me/accidents/CL-1"
NEVER_ASKED = object()
"""The queries: a request refused before them finds this and never calls it."""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(clock: ManualClock) -> AsyncIterator[httpx.AsyncClient]:
    settings = ClaimStatusSettings(database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_service_app(
        settings=settings, routers=[customer_router], errors=ERRORS, clock=clock
    )
    TOKEN_VERIFIER.put(app, identity_token_verifier(settings, clock, key_set))
    QUERIES.put(app, NEVER_ASKED)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def refusal(client: httpx.AsyncClient, path: str, **kwargs: object) -> tuple[int, str]:
    answer = await client.get(path, **kwargs)  # type: ignore[arg-type]
    return answer.status_code, answer.json()["code"]


@pytest.mark.parametrize("path", [LIST, DETAIL])
async def test_only_a_customers_full_session_reads(
    client: httpx.AsyncClient, clock: ManualClock, path: str
) -> None:
    assert await refusal(client, path) == (401, "unauthenticated")
    assert await refusal(client, path, headers={"Authorization": "Basic x"}) == (
        401,
        "unauthenticated",
    )
    assert await refusal(client, path, headers=bearer("not.a.token")) == (401, "invalid_token")
    temporary = token(clock, customer_id="C-1", scope="password:change")
    assert await refusal(client, path, headers=bearer(temporary)) == (
        403,
        "password_change_required",
    )
    staff = token(clock, roles=["adjuster"], scope="staff")
    assert await refusal(client, path, headers=bearer(staff)) == (403, "forbidden")
    expired = token(clock, customer_id="C-1")
    clock.advance(hours=1)
    assert await refusal(client, path, headers=bearer(expired)) == (401, "invalid_token")


@pytest.mark.parametrize("path", [LIST, DETAIL])
async def test_the_maintenance_window_answers_before_the_token(
    client: httpx.AsyncClient, clock: ManualClock, path: str
) -> None:
    clock.now = clock.now.replace(day=22, hour=17, minute=30)  # Monday 02:30 in Tokyo
    assert await refusal(client, path) == (503, "maintenance")


async def test_the_token_answers_before_the_cursor_and_the_as_of(
    client: httpx.AsyncClient,
) -> None:
    assert await refusal(client, LIST, params={"cursor": "%%%", "limit": 0}) == (
        401,
        "unauthenticated",
    )
    assert await refusal(client, DETAIL, params={"as_of": "someday"}) == (401, "unauthenticated")


async def test_the_cursor_answers_before_the_page_size(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    mine = bearer(token(clock, customer_id="C-1"))
    assert await refusal(client, LIST, params={"cursor": "%%%", "limit": 0}, headers=mine) == (
        400,
        "invalid_cursor",
    )
    assert await refusal(client, LIST, params={"limit": 51}, headers=mine) == (
        422,
        "validation_failed",
    )
    assert await refusal(client, DETAIL, params={"as_of": "someday"}, headers=mine) == (
        422,
        "invalid_as_of",
    )
