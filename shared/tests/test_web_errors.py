"""The app factory's answers: `{code, message}` errors in the caller's language, request ids,
and /readyz reporting each dependency."""

import httpx
from fastapi import APIRouter
from pydantic import BaseModel

from claims_shared.emails import EmailAddress
from claims_shared.errors import ApiError, Message
from claims_shared.inputs import PlainText
from claims_shared.settings import ServiceSettings
from claims_shared.web import create_service_app


class Payload(BaseModel):
    policy_number: str


def _client(readiness: dict | None = None) -> httpx.AsyncClient:
    router = APIRouter()

    @router.post("/things")
    async def things(payload: Payload) -> dict[str, str]:
        return {"policy_number": payload.policy_number}

    @router.get("/conflict")
    async def conflict() -> None:
        raise ApiError(409, "already_registered", Message("登録済みです。", "Already registered."))

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_service_app(settings=ServiceSettings(), routers=[router], readiness=readiness)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_validation_errors_name_the_field() -> None:
    async with _client() as client:
        response = await client.post("/things", json={})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["field"] == "policy_number"


async def test_domain_errors_speak_japanese_by_default_and_english_on_request() -> None:
    async with _client() as client:
        japanese = await client.get("/conflict")
        english = await client.get("/conflict", headers={"Accept-Language": "en"})
        prefers_ja = await client.get("/conflict", headers={"Accept-Language": "en;q=0.5, ja"})
    assert japanese.status_code == 409
    assert japanese.json() == {"code": "already_registered", "message": "登録済みです。"}
    assert english.json()["message"] == "Already registered."
    assert prefers_ja.json()["message"] == "登録済みです。"


async def test_unknown_routes_and_crashes_answer_in_the_same_format() -> None:
    async with _client() as client:
        missing = await client.get("/nowhere")
        crash = await client.get("/boom")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert crash.status_code == 500
    assert crash.json()["code"] == "internal_error"
    assert "secret" not in crash.text


async def test_request_id_is_kept_when_safe_and_made_when_not() -> None:
    async with _client() as client:
        kept = await client.get("/healthz", headers={"X-Request-ID": "gw-123"})
        replaced = await client.get("/healthz", headers={"X-Request-ID": "bad id\n"})
    assert kept.headers["X-Request-ID"] == "gw-123"
    assert replaced.headers["X-Request-ID"] != "bad id\n"
    assert len(replaced.headers["X-Request-ID"]) == 32


async def test_readyz_says_not_ready_naming_the_failed_dependency() -> None:
    async def ok() -> None:
        return None

    async def down() -> None:
        raise ConnectionRefusedError

    async with _client({"database": ok, "kafka": down}) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {"database": "ok", "kafka": "failed: ConnectionRefusedError"},
    }


class Contact(BaseModel):
    email: EmailAddress
    note: PlainText


async def test_emails_are_taken_as_typed_and_control_characters_refused() -> None:
    router = APIRouter()

    @router.post("/contact")
    async def contact(body: Contact) -> dict[str, str]:
        return {"email": body.email}

    app = create_service_app(settings=ServiceSettings(), routers=[router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        typed = await c.post(
            "/contact", json={"email": " ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "note": "ok"}
        )
        nul = await c.post("/contact", json={"email": "a\x00@b.jp", "note": "ok"})
        not_email = await c.post("/contact", json={"email": "taro", "note": "ok"})
        bell = await c.post("/contact", json={"email": "a@b.jp", "note": "ring\x07"})
    assert typed.json() == {"email": "taro@example.jp"}
    assert [r.status_code for r in (nul, not_email, bell)] == [422, 422, 422]
    assert [r.json()["errors"][0]["field"] for r in (nul, not_email, bell)] == [
        "email",
        "email",
        "note",
    ]
