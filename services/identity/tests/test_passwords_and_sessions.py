"""The temporary-password path, password rules, refresh rotation with reuse detection, log-out,
password reset, and what happens to tokens that are not what identity issued."""

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.public import PrivateKey, SealedBox

from claims_shared.settings import DEVELOPMENT_SEALING_PRIVATE_KEY
from claims_shared.testing import forged_token
from devinfra.testing import find_envelopes
from identity_harness import Identity


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_temporary_password_logs_in_only_to_change_it(identity: Identity) -> None:
    event = await identity.register(
        password="Tmp7kQ2xZp9a",
        must_change_password=True,
        temporary_password_expires_at=identity.clock.now + timedelta(hours=24),
        registration_method="details",
    )
    session = (await identity.log_in(event.email, "Tmp7kQ2xZp9a")).json()
    assert session["password_change_required"] is True
    assert session["refresh_token"] is None
    limited = bearer(session["access_token"])
    refused = await identity.client.get("/api/v1/me", headers=limited)
    assert (refused.status_code, refused.json()["code"]) == (403, "password_change_required")

    async def change(new: str) -> tuple[int, str | None]:
        response = await identity.client.put(
            "/api/v1/me/password",
            headers=limited,
            json={"current_password": "Tmp7kQ2xZp9a", "new_password": new},
        )
        return response.status_code, (response.json()["code"] if response.content else None)

    assert await change("short") == (422, "password_too_short")
    assert await change("password123") == (422, "password_too_common")
    assert await change(event.email.upper()) == (422, "password_same_as_email")
    assert await change("Tmp7kQ2xZp9a") == (422, "password_unchanged")
    assert await change("山田 太郎の 新しい 合言葉") == (204, None)

    assert (await identity.log_in(event.email, "Tmp7kQ2xZp9a")).status_code == 401
    fresh = await identity.log_in(event.email, "山田 太郎の 新しい 合言葉")
    assert fresh.json()["password_change_required"] is False
    changed = await find_envelopes(
        identity.bootstrap,
        identity.topic("identity.events"),
        lambda e: (
            e["event_type"] == "PasswordChanged" and e["data"]["user_id"] == str(event.user_id)
        ),
    )
    assert changed and changed[0]["data"]["email"] == event.email
    assert "password" not in json.dumps(changed[0]["data"]).replace("PasswordChanged", "")


async def test_an_expired_temporary_password_cannot_log_in(identity: Identity) -> None:
    event = await identity.register(
        password="Tmp7kQ2xZp9a",
        must_change_password=True,
        temporary_password_expires_at=identity.clock.now + timedelta(hours=24),
    )
    identity.clock.advance(hours=25)
    response = await identity.log_in(event.email, "Tmp7kQ2xZp9a")
    assert (response.status_code, response.json()["code"]) == (401, "temporary_password_expired")


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(identity: Identity) -> None:
    event = await identity.register()
    first = (await identity.log_in(event.email, "correct horse battery")).json()["refresh_token"]

    async def refresh(token: str) -> dict:
        response = await identity.client.post(
            "/api/v1/sessions/refresh", json={"refresh_token": token}
        )
        return {"status": response.status_code, **response.json()}

    second = await refresh(first)
    assert second["status"] == 200 and second["refresh_token"] != first
    reused = await refresh(first)
    assert (reused["status"], reused["code"]) == (401, "invalid_refresh_token")
    assert (await refresh(second["refresh_token"]))["status"] == 401  # the family is revoked


async def test_log_out_ends_the_session(identity: Identity) -> None:
    event = await identity.register()
    session = (await identity.log_in(event.email, "correct horse battery")).json()
    out = await identity.client.delete("/api/v1/sessions", headers=bearer(session["access_token"]))
    assert out.status_code == 204
    after = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert after.status_code == 401


WEB = {"X-Session-Transport": "cookie"}


def _session_cookie(response: httpx.Response, name: str = "claims_session") -> str | None:
    """The cookie's value, after checking page scripts can never read it."""
    header = next(
        (h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")), ""
    )
    if not header:
        return None
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert {"httponly", "secure", "samesite", "path"} <= attributes, header
    assert "Path=/api/v1/sessions" in header and "SameSite=strict" in header
    value = header.split(";")[0].split("=", 1)[1]
    return value.strip('"') or None


async def test_the_web_front_keeps_its_refresh_token_in_an_http_only_cookie(
    identity: Identity,
) -> None:
    event = await identity.register()
    logged_in = await identity.client.post(
        "/api/v1/sessions",
        json={"email": event.email, "password": "correct horse battery"},
        headers=WEB,
    )
    assert logged_in.status_code == 200 and logged_in.json()["refresh_token"] is None
    first = _session_cookie(logged_in)
    assert first

    async def refresh(cookie: str, headers: dict[str, str] = WEB) -> httpx.Response:
        return await identity.client.post(
            "/api/v1/sessions/refresh", headers={**headers, "Cookie": f"claims_session={cookie}"}
        )

    without_header = await refresh(first, headers={})
    assert (without_header.status_code, without_header.json()["code"]) == (
        401,
        "invalid_refresh_token",
    ), "the cookie alone (as a cross-site form would send it) does not refresh"
    reloaded = await refresh(first)
    assert reloaded.status_code == 200 and reloaded.json()["refresh_token"] is None
    second = _session_cookie(reloaded)
    assert second and second != first
    me = await identity.client.get("/api/v1/me", headers=bearer(reloaded.json()["access_token"]))
    assert me.json()["email"] == event.email

    out = await identity.client.delete(
        "/api/v1/sessions", headers=bearer(reloaded.json()["access_token"])
    )
    assert out.status_code == 204 and _session_cookie(out) is None
    assert "Max-Age=0" in out.headers["set-cookie"]
    assert (await refresh(second)).status_code == 401


async def test_the_service_status_answers_503_inside_the_maintenance_window(
    identity: Identity,
) -> None:
    assert (await identity.client.get("/api/v1/service-status")).json() == {"status": "open"}
    identity.clock.now = datetime(2026, 11, 29, 18, 30, tzinfo=UTC)  # Monday 03:30 in Japan
    inside = await identity.client.get("/api/v1/service-status")
    assert (inside.status_code, inside.json()["code"]) == (503, "maintenance")
    assert int(inside.headers["Retry-After"]) == 30 * 60


async def test_tokens_identity_did_not_issue_are_refused(identity: Identity) -> None:
    event = await identity.register()
    token = (await identity.log_in(event.email, "correct horse battery")).json()["access_token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    bad = {
        "tampered": forged_token(token, customer_id="someone-else"),
        "foreign key": jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": header["kid"]}
        ),
        "alg none": f"{none_header}.{token.split('.')[1]}.",
    }
    for name, forged in bad.items():
        response = await identity.client.get("/api/v1/me", headers=bearer(forged))
        assert (response.status_code, response.json()["code"]) == (401, "invalid_token"), name
    identity.clock.advance(minutes=16)
    expired = await identity.client.get("/api/v1/me", headers=bearer(token))
    assert expired.status_code == 401
    no_token = await identity.client.get("/api/v1/me")
    assert (no_token.status_code, no_token.headers["WWW-Authenticate"]) == (401, "Bearer")


async def test_password_reset_answers_the_same_and_mails_a_sealed_temporary_password(
    identity: Identity,
) -> None:
    event = await identity.register()
    known = await identity.client.post("/api/v1/password-resets", json={"email": event.email})
    unknown = await identity.client.post(
        "/api/v1/password-resets", json={"email": "ghost@example.jp"}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    issued = await find_envelopes(
        identity.bootstrap,
        identity.topic("identity.events"),
        lambda e: (
            e["event_type"] == "TemporaryPasswordIssued"
            and e["data"]["user_id"] == str(event.user_id)
        ),
    )
    assert len(issued) == 1
    sealed = base64.b64decode(issued[0]["data"]["sealed_temporary_password"])
    notifier_key = PrivateKey(base64.b64decode(DEVELOPMENT_SEALING_PRIVATE_KEY))
    temporary = SealedBox(notifier_key).decrypt(sealed).decode()
    assert temporary not in json.dumps(issued[0])
    session = (await identity.log_in(event.email, temporary)).json()
    assert session["password_change_required"] is True
    again = await identity.client.post("/api/v1/password-resets", json={"email": event.email})
    assert again.status_code == 202  # too soon for another mail; the answer does not say so


async def test_a_rotated_key_signs_new_tokens_and_old_ones_still_verify(identity: Identity) -> None:
    event = await identity.register()
    old = (await identity.log_in(event.email, "correct horse battery")).json()["access_token"]
    keys = identity.app.state.sign_in.keys
    await keys.rotate(identity.clock.now)
    new = (await identity.log_in(event.email, "correct horse battery")).json()["access_token"]
    assert jwt.get_unverified_header(old)["kid"] != jwt.get_unverified_header(new)["kid"]
    jwks = (await identity.client.get("/.well-known/jwks.json")).json()
    assert {k["kid"] for k in jwks["keys"]} >= {
        jwt.get_unverified_header(t)["kid"] for t in (old, new)
    }
    for token in (old, new):
        assert (await identity.client.get("/api/v1/me", headers=bearer(token))).status_code == 200


async def test_log_in_is_closed_during_maintenance_but_keys_are_served(identity: Identity) -> None:
    event = await identity.register()
    identity.clock.now = identity.clock.now.replace(day=22, hour=17, minute=30)  # Mon 02:30 JST
    response = await identity.log_in(event.email, "correct horse battery")
    assert (response.status_code, response.json()["code"]) == (503, "maintenance")
    assert int(response.headers["Retry-After"]) == 90 * 60
    assert (await identity.client.get("/.well-known/jwks.json")).status_code == 200
