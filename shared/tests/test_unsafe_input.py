"""NUL and lone surrogates are refused at the door of every service with 4xx `{code, message}`
in the customer's language: in the path, the query and a JSON body; nothing reaches a route."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from pydantic import BaseModel

from claims_shared.settings import ServiceSettings
from claims_shared.web import create_service_app

reached: list[str] = []


class Note(BaseModel):
    text: str
    tags: list[str] = []


def app_with_routes() -> httpx.AsyncClient:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str, q: str = "") -> dict[str, str]:
        reached.append(thing_id + q)
        return {"thing_id": thing_id}

    @router.post("/notes")
    async def note(body: Note) -> dict[str, str]:
        reached.append(body.text)
        return {"text": body.text}

    app = create_service_app(settings=ServiceSettings(), routers=[router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_nul_in_a_path_or_a_query_is_a_400_in_the_customers_language() -> None:
    reached.clear()
    async with app_with_routes() as client:
        in_path = await client.get("/things/CL%001")
        in_query = await client.get("/things/CL1?q=a%00b", headers={"Accept-Language": "en"})
        fine = await client.get("/things/CL%201?q=%E5%B1%B1")
    assert (in_path.status_code, in_path.json()["code"]) == (400, "invalid_characters")
    assert "使用できない文字" in in_path.json()["message"]
    assert (in_query.status_code, in_query.json()["code"]) == (400, "invalid_characters")
    assert "characters we cannot accept" in in_query.json()["message"]
    assert fine.status_code == 200
    assert reached == ["CL 1山"]


async def test_nul_or_a_lone_surrogate_in_a_json_body_is_refused_beside_its_field() -> None:
    reached.clear()
    async with app_with_routes() as client:
        answers = [
            await client.post("/notes", content=body, headers={"Content-Type": "application/json"})
            for body in (
                b'{"text": "a\\u0000b"}',
                b'{"text": "ok", "tags": ["x", "\\ud800"]}',
                b'{"text": "a\x00b"}',
            )
        ]
        paired = await client.post(
            "/notes",
            content=b'{"text": "\\ud83d\\ude97 ok"}',
            headers={"Content-Type": "application/json"},
        )
    assert [a.status_code for a in answers] == [422, 422, 422]
    assert [a.json()["errors"][0]["field"] for a in answers[:2]] == ["text", "tags.1"]
    assert {a.json()["errors"][0].get("code") for a in answers[:2]} == {"invalid_characters"}
    assert paired.status_code == 200 and paired.json() == {"text": "🚗 ok"}
    assert reached == ["🚗 ok"]


async def test_validation_messages_come_in_the_customers_language() -> None:
    async with app_with_routes() as client:
        japanese = await client.post("/notes", json={"tags": []})
        english = await client.post("/notes", json={"text": 5}, headers={"Accept-Language": "en"})
    assert japanese.json()["errors"][0] == {
        "field": "text",
        "code": "missing",
        "message": "入力してください。",
    }
    assert english.json()["errors"][0]["message"] == "This value has the wrong type."


async def test_a_trailing_slash_is_a_404_in_json_not_a_redirect_to_the_clients_host() -> None:
    async with app_with_routes() as client:
        answer = await client.post("/notes/", json={"text": "x"}, headers={"Host": "evil.example"})
    assert (answer.status_code, answer.json()["code"]) == (404, "not_found")
    assert "location" not in answer.headers
