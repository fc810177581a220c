"""Devices and sessions: a log-in from a device the account has not used is told to the notifier
(SignedInFromNewDevice, the device in words, never an address), and the customer sees and ends
their sessions (GET/DELETE /api/v1/me/sessions)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from test_passwords_and_sessions import WEB, _session_cookie, bearer

from claims_shared.testing.user_agents import ANDROID_CHROME, IPHONE_SAFARI, WINDOWS_EDGE
from devinfra.testing import find_envelopes
from identity_harness import PASSWORD, Identity


async def web_log_in(
    identity: Identity, email: str, user_agent: str, device: str | None = None
) -> httpx.Response:
    """As the web front logs in: cookie transport, the device cookie if the browser has one."""
    cookies = f"claims_device={device}" if device else ""
    response = await identity.client.post(
        "/api/v1/sessions",
        json={"email": email, "password": PASSWORD},
        headers={**WEB, "User-Agent": user_agent, "Cookie": cookies},
    )
    assert response.status_code == 200, response.text
    return response


async def app_log_in(
    identity: Identity, email: str, user_agent: str, device_id: str | None = None
) -> dict[str, Any]:
    """As the app logs in: everything in the body, its device id too."""
    body = {"email": email, "password": PASSWORD}
    if device_id:
        body["device_id"] = device_id
    response = await identity.client.post(
        "/api/v1/sessions", json=body, headers={"User-Agent": user_agent}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def new_device_notices(identity: Identity, user_id: uuid.UUID, expected: int) -> list[Any]:
    return await find_envelopes(
        identity.bootstrap,
        identity.topic("identity.events"),
        lambda e: (
            e["event_type"] == "SignedInFromNewDevice" and e["data"]["user_id"] == str(user_id)
        ),
        expected=expected,
        timeout=15,
    )


async def test_a_log_in_from_a_device_the_account_has_not_used_is_told(
    identity: Identity,
) -> None:
    event = await identity.register()
    first = await web_log_in(identity, event.email, ANDROID_CHROME)
    phone = _session_cookie(first, "claims_device")
    assert phone and first.json()["device_id"] is None, "the web front's id is a cookie only"
    assert "Max-Age=34560000" in first.headers["set-cookie"]
    again = await web_log_in(identity, event.email, ANDROID_CHROME, phone)
    assert _session_cookie(again, "claims_device") == phone

    identity.clock.advance(minutes=5)
    await web_log_in(identity, event.email, IPHONE_SAFARI)  # a stranger's iPhone: told
    app = await app_log_in(identity, event.email, WINDOWS_EDGE)
    app_again = await app_log_in(identity, event.email, WINDOWS_EDGE, app["device_id"])
    assert app_again["device_id"] == app["device_id"]
    await app_log_in(identity, event.email, WINDOWS_EDGE, "made-up-id")  # not one identity gave

    told = await new_device_notices(identity, event.user_id, expected=3)
    assert [e["data"]["device"] for e in told] == [
        "iPhone の Safari",
        "Windows の Edge",
        "Windows の Edge",
    ], "not the first log-in, nor a device used before; a made-up id is a new device"
    data = told[0]["data"]
    assert set(data) == {"user_id", "customer_id", "email", "device", "at", "language"}
    assert datetime.fromisoformat(data["at"]) == identity.clock.now


async def test_the_notice_is_worded_in_the_customers_language(identity: Identity) -> None:
    event = await identity.register(language="en")
    await web_log_in(identity, event.email, ANDROID_CHROME)
    await web_log_in(identity, event.email, IPHONE_SAFARI)
    told = await new_device_notices(identity, event.user_id, expected=1)
    assert told[0]["data"]["device"] == "Safari on iPhone"


async def sessions_of(identity: Identity, token: str, language: str = "ja") -> list[Any]:
    response = await identity.client.get(
        "/api/v1/me/sessions", headers={**bearer(token), "Accept-Language": language}
    )
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()["sessions"]
    return found


async def test_the_customer_sees_their_sessions_and_ends_one_or_all_others(
    identity: Identity,
) -> None:
    event = await identity.register()
    phone = await app_log_in(identity, event.email, ANDROID_CHROME)
    identity.clock.advance(minutes=3)
    pc = await app_log_in(identity, event.email, WINDOWS_EDGE)
    identity.clock.advance(minutes=3)
    tablet = await app_log_in(identity, event.email, IPHONE_SAFARI)
    english = await sessions_of(identity, pc["access_token"], "en")
    assert [s["device"] for s in english if s["current"]] == ["Edge on Windows"]
    identity.clock.advance(minutes=20)
    refreshed = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": phone["refresh_token"]}
    )
    phone_token = refreshed.json()["access_token"]

    listed = await sessions_of(identity, phone_token)
    assert [(s["device"], s["current"]) for s in listed] == [
        ("Android の Chrome", True),  # used last: refreshed just now
        ("iPhone の Safari", False),
        ("Windows の Edge", False),
    ]
    first_use = datetime.fromisoformat(listed[0]["first_used_at"])
    assert datetime.fromisoformat(listed[0]["last_used_at"]) - first_use == timedelta(minutes=26)

    pc_id = next(s["session_id"] for s in listed if s["device"] == "Windows の Edge")
    ended = await identity.client.delete(
        f"/api/v1/me/sessions/{pc_id}", headers=bearer(phone_token)
    )
    assert ended.status_code == 204
    refused = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": pc["refresh_token"]}
    )
    assert refused.status_code == 401
    again = await identity.client.delete(
        f"/api/v1/me/sessions/{pc_id}", headers=bearer(phone_token)
    )
    assert (again.status_code, again.json()["code"]) == (404, "session_not_found")

    others = await identity.client.delete("/api/v1/me/sessions", headers=bearer(phone_token))
    assert others.status_code == 204
    assert [s["current"] for s in await sessions_of(identity, phone_token)] == [True]
    tablet_refresh = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": tablet["refresh_token"]}
    )
    assert tablet_refresh.status_code == 401
    kept = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": refreshed.json()["refresh_token"]}
    )
    assert kept.status_code == 200, "this session stays"


async def test_another_accounts_session_is_not_found_and_stays(identity: Identity) -> None:
    taro = await identity.register()
    hanako = await identity.register()
    taro_session = await app_log_in(identity, taro.email, ANDROID_CHROME)
    hanako_session = await app_log_in(identity, hanako.email, IPHONE_SAFARI)
    hanakos = await sessions_of(identity, hanako_session["access_token"])

    foreign = await identity.client.delete(
        f"/api/v1/me/sessions/{hanakos[0]['session_id']}",
        headers=bearer(taro_session["access_token"]),
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "session_not_found")
    assert foreign.json()["message"] == (
        "このセッションは見つかりません。すでにログアウトしている可能性があります。"
    )
    assert len(await sessions_of(identity, hanako_session["access_token"])) == 1
    assert [s["current"] for s in await sessions_of(identity, taro_session["access_token"])] == [
        True
    ]


async def test_a_password_change_ends_every_session(identity: Identity) -> None:
    """As before sessions were listed: a change is often the answer to a stolen password."""
    event = await identity.register()
    phone = await app_log_in(identity, event.email, ANDROID_CHROME)
    await app_log_in(identity, event.email, WINDOWS_EDGE)
    changed = await identity.client.put(
        "/api/v1/me/password",
        headers=bearer(phone["access_token"]),
        json={"current_password": PASSWORD, "new_password": "山田家の 新しい 合言葉 2026"},
    )
    assert changed.status_code == 204
    listed = await identity.client.get("/api/v1/me/sessions", headers=bearer(phone["access_token"]))
    assert (listed.status_code, listed.json()["code"]) == (401, "session_ended")
    refreshed = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": phone["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_the_access_token_carries_its_session_and_sign_in_time(identity: Identity) -> None:
    """auth_time is the log-in's, through refreshes: a recent sign-in is judged by it."""
    event = await identity.register()
    logged_in_at = identity.clock.now
    session = await app_log_in(identity, event.email, ANDROID_CHROME)
    identity.clock.advance(minutes=14)
    refreshed = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    verifier = identity.app.state.token_verifier
    first = await verifier.verify(session["access_token"])
    later = await verifier.verify(refreshed.json()["access_token"])
    assert first.session_id == later.session_id
    assert later.signed_in_at == int(logged_in_at.timestamp())
