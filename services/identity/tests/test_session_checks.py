"""A session ended elsewhere stops the sensitive routes at once (identity.live_session): after
"sign out everywhere else" on device A, device B's access token (valid for up to 15 minutes
more, and remembered by the verifier) can no longer add or remove a passkey, change the
password, or see and end sessions; each answers 401 session_ended in the caller's language."""

from __future__ import annotations

from typing import Any

import httpx
from soft_authenticator import create
from test_devices_and_sessions import ANDROID_CHROME, WINDOWS_EDGE, app_log_in, sessions_of
from test_passkeys import ORIGIN, add_passkey
from test_passwords_and_sessions import bearer

from identity_harness import PASSWORD, Identity

ENDED_JA = (
    "このログインは終了しています（ほかの端末からログアウトされたか、パスワードが変更されました）。"
    "もう一度ログインしてください。"
)
ENDED_EN = (
    "This session has ended (it was logged out from another device, or the password was "
    "changed). Please log in again."
)


def ended(response: httpx.Response) -> tuple[int, str, str]:
    return response.status_code, response.json()["code"], response.json()["message"]


async def two_devices(identity: Identity) -> tuple[dict[str, Any], dict[str, Any]]:
    event = await identity.register()
    device_a = await app_log_in(identity, event.email, WINDOWS_EDGE)
    device_b = await app_log_in(identity, event.email, ANDROID_CHROME)
    return device_a, device_b


async def test_after_sign_out_everywhere_else_the_other_devices_token_changes_nothing(
    identity: Identity,
) -> None:
    device_a, device_b = await two_devices(identity)
    b = bearer(device_b["access_token"])
    _, added = await add_passkey(identity, b)  # B could, while its session was live
    assert added.status_code == 201, added.text
    ceremony = (await identity.client.post("/api/v1/me/passkeys/options", headers=b)).json()

    signed_out = await identity.client.delete(
        "/api/v1/me/sessions", headers=bearer(device_a["access_token"])
    )
    assert signed_out.status_code == 204

    options = await identity.client.post("/api/v1/me/passkeys/options", headers=b)
    _, answer = create(ceremony["options"], ORIGIN)
    passkey = await identity.client.post(
        "/api/v1/me/passkeys",
        headers=b,
        json={"challenge_id": ceremony["challenge_id"], "credential": answer},
    )
    removed = await identity.client.delete(
        f"/api/v1/me/passkeys/{added.json()['passkey_id']}", headers=b
    )
    password = await identity.client.put(
        "/api/v1/me/password",
        headers={**b, "Accept-Language": "en"},
        json={"current_password": PASSWORD, "new_password": "山田家の 新しい 合言葉 2026"},
    )
    listed = await identity.client.get("/api/v1/me/sessions", headers=b)
    others = await identity.client.delete("/api/v1/me/sessions", headers=b)

    for refused in (options, passkey, removed, listed, others):
        assert ended(refused) == (401, "session_ended", ENDED_JA), refused.request.url
    assert ended(password) == (401, "session_ended", ENDED_EN)
    kept = await identity.client.get(
        "/api/v1/me/passkeys", headers=bearer(device_a["access_token"])
    )
    assert [p["passkey_id"] for p in kept.json()] == [added.json()["passkey_id"]]
    assert [s["current"] for s in await sessions_of(identity, device_a["access_token"])] == [True]
    relog = await identity.log_in(
        (await identity.client.get("/api/v1/me", headers=b)).json()["email"], PASSWORD
    )
    assert relog.status_code == 200, "the password did not change"


async def test_ending_one_session_stops_its_token_and_logging_out_too(identity: Identity) -> None:
    device_a, device_b = await two_devices(identity)
    b_id = next(
        s["session_id"]
        for s in await sessions_of(identity, device_a["access_token"])
        if not s["current"]
    )
    await identity.client.delete(
        f"/api/v1/me/sessions/{b_id}", headers=bearer(device_a["access_token"])
    )
    await identity.client.delete("/api/v1/sessions", headers=bearer(device_a["access_token"]))

    for token in (device_b["access_token"], device_a["access_token"]):
        listed = await identity.client.get("/api/v1/me/sessions", headers=bearer(token))
        assert ended(listed) == (401, "session_ended", ENDED_JA)
