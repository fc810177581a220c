"""Passkeys against the real identity (PostgreSQL, Kafka), a software authenticator standing in
for the browser: added after a log-in and told on identity.events, a sign-in with one gives the
web front the same session cookie as a password, a cloned credential (its sign count going
backwards) and an answer made for another origin are refused, and a removed passkey is told and
no longer lets anyone in."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from soft_authenticator import SoftPasskey, create, get

from devinfra.testing import find_envelopes
from identity_harness import PASSWORD, Identity

ORIGIN = "http://localhost:8080"  # IDENTITY_WEBAUTHN_ORIGINS' development default
WEB = {"X-Session-Transport": "cookie"}


async def signed_in(identity: Identity) -> tuple[uuid.UUID, dict[str, str]]:
    event = await identity.register()
    response = await identity.log_in(event.email, PASSWORD)
    assert response.status_code == 200, response.text
    return event.user_id, {"Authorization": f"Bearer {response.json()['access_token']}"}


async def add_passkey(
    identity: Identity, bearer: dict[str, str], origin: str = ORIGIN
) -> tuple[SoftPasskey, httpx.Response]:
    ceremony = await identity.client.post("/api/v1/me/passkeys/options", headers=bearer)
    assert ceremony.status_code == 200, ceremony.text
    options = ceremony.json()["options"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    passkey, answer = create(options, origin)
    added = await identity.client.post(
        "/api/v1/me/passkeys",
        headers=bearer,
        json={
            "challenge_id": ceremony.json()["challenge_id"],
            "name": "Pixel 8",
            "credential": answer,
        },
    )
    return passkey, added


async def sign_in(
    identity: Identity, passkey: SoftPasskey, origin: str = ORIGIN, **how: Any
) -> httpx.Response:
    ceremony = (await identity.client.post("/api/v1/sessions/passkey/options")).json()
    assert (
        "allowCredentials" not in ceremony["options"] or not ceremony["options"]["allowCredentials"]
    ), "usernameless: the authenticator offers the site's passkeys"
    answer: httpx.Response = await identity.client.post(
        "/api/v1/sessions/passkey",
        headers=WEB,
        json={
            "challenge_id": ceremony["challenge_id"],
            "credential": get(passkey, ceremony["options"], origin, **how),
        },
    )
    return answer


async def told(identity: Identity, user_id: uuid.UUID, event_type: str) -> dict[str, Any]:
    [envelope] = await find_envelopes(
        identity.bootstrap,
        identity.topic("identity.events"),
        lambda e: e["event_type"] == event_type and e["data"]["user_id"] == str(user_id),
        timeout=15,
    )
    return envelope


async def test_a_passkey_added_is_told_and_signs_the_web_front_in_like_a_password(
    identity: Identity,
) -> None:
    user_id, bearer = await signed_in(identity)

    passkey, added = await add_passkey(identity, bearer)
    listed = await identity.client.get("/api/v1/me/passkeys", headers=bearer)
    session = await sign_in(identity, passkey)

    assert added.status_code == 201, added.text
    assert [(p["name"], p["last_used_at"]) for p in listed.json()] == [("Pixel 8", None)]
    assert (await told(identity, user_id, "PasskeyAdded"))["data"]["name"] == "Pixel 8"
    assert session.status_code == 200, session.text
    assert session.json()["refresh_token"] is None, "the web front's token is in the cookie"
    assert "claims_session=" in session.headers["set-cookie"]
    assert "HttpOnly" in session.headers["set-cookie"]
    relisted = await identity.client.get("/api/v1/me/passkeys", headers=bearer)
    assert relisted.json()[0]["last_used_at"] is not None


async def test_a_cloned_passkey_is_refused_disabled_and_told(
    identity: Identity,
) -> None:
    user_id, bearer = await signed_in(identity)
    passkey, _ = await add_passkey(identity, bearer)
    assert (await sign_in(identity, passkey)).status_code == 200
    assert (await sign_in(identity, passkey)).status_code == 200

    passkey.sign_count = 0  # the copy counts from where it was taken
    cloned = await sign_in(identity, passkey)

    assert cloned.status_code == 401
    assert cloned.json()["code"] == "passkey_refused"
    stored = await identity.app.state.passkeys.passkeys.pool.fetchrow(
        "SELECT sign_count, disabled_at FROM passkeys WHERE credential_id = $1",
        passkey.credential_id,
    )
    assert stored["sign_count"] == 2
    assert stored["disabled_at"] is not None, "disabled, not only refused"
    assert (await told(identity, user_id, "PasskeyDisabled"))["data"]["name"] == "Pixel 8"
    [listed] = (await identity.client.get("/api/v1/me/passkeys", headers=bearer)).json()
    assert listed["disabled_at"] is not None
    passkey.sign_count = 10  # the original authenticator, counting up: the key is not trusted
    assert (await sign_in(identity, passkey)).json()["code"] == "passkey_refused"


async def test_answers_made_for_another_origin_are_refused(identity: Identity) -> None:
    _, bearer = await signed_in(identity)

    _, phished = await add_passkey(identity, bearer, origin="https://claims-insurer.example")
    passkey, _ = await add_passkey(identity, bearer)
    relayed = await sign_in(identity, passkey, origin="https://claims-insurer.example")

    assert phished.status_code == 400
    assert phished.json()["code"] == "passkey_not_verified"
    assert relayed.status_code == 401
    listed = await identity.client.get("/api/v1/me/passkeys", headers=bearer)
    assert len(listed.json()) == 1


async def test_a_removed_passkey_is_told_and_lets_nobody_in(identity: Identity) -> None:
    user_id, bearer = await signed_in(identity)
    passkey, added = await add_passkey(identity, bearer)

    removed = await identity.client.delete(
        f"/api/v1/me/passkeys/{added.json()['passkey_id']}", headers=bearer
    )
    again = await identity.client.delete(
        f"/api/v1/me/passkeys/{added.json()['passkey_id']}", headers=bearer
    )

    assert removed.status_code == 204
    assert again.status_code == 404
    assert (await told(identity, user_id, "PasskeyRemoved"))["data"]["name"] == "Pixel 8"
    assert (await sign_in(identity, passkey)).status_code == 401


async def test_another_customer_cannot_remove_a_passkey(identity: Identity) -> None:
    _, owner = await signed_in(identity)
    _, stranger = await signed_in(identity)
    _, added = await add_passkey(identity, owner)

    refused = await identity.client.delete(
        f"/api/v1/me/passkeys/{added.json()['passkey_id']}", headers=stranger
    )

    assert refused.status_code == 404
    assert len((await identity.client.get("/api/v1/me/passkeys", headers=owner)).json()) == 1


async def test_an_answer_without_its_user_handle_is_refused(identity: Identity) -> None:
    """Usernameless: the account is named by the passkey's user handle (WebAuthn §7.2, step 6:
    when the user was not identified before the ceremony, the handle must be present)."""
    _, bearer = await signed_in(identity)
    passkey, _ = await add_passkey(identity, bearer)
    ceremony = (await identity.client.post("/api/v1/sessions/passkey/options")).json()
    answer = get(passkey, ceremony["options"], ORIGIN)
    del answer["response"]["userHandle"]

    refused = await identity.client.post(
        "/api/v1/sessions/passkey",
        headers=WEB,
        json={"challenge_id": ceremony["challenge_id"], "credential": answer},
    )

    assert refused.status_code == 401
    assert refused.json()["code"] == "passkey_refused"
    assert "set-cookie" not in refused.headers
    assert (await sign_in(identity, passkey)).status_code == 200, "the passkey itself still works"
