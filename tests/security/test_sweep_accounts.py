"""The security sweep of what issues 17 and 18 added, through the gateway, as an attacker there
would try it: another customer's session, passkey and past claim (`?as_of=`) are not found and
left as they were; passkey sign-in with a forged, garbled, unknown, replayed, expired or foreign
answer is refused without tokens; adding or removing a passkey needs a recent sign-in; a stolen
refresh token dies with "sign out everywhere else"; passkey sign-in is throttled per client like
the log-in; and no mail all this causes carries a link (one would lead to a password form).
(The routes' fuzzing and forged tokens: test_sweep.py.)"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from soft_authenticator import SoftPasskey, b64url, create, get
from web_harness import Product, passkey_origin

from claim_status_harness import ClaimLog
from claims_shared.events import UserRegistered
from identity.passkey_api import PASSKEY_ERRORS
from identity.passkeys import ChallengeExpired
from identity.settings import IdentitySettings

PASSWORD = "a good passphrase"
APP_DEVICE = {"User-Agent": "ClaimsApp/1.0 (iPhone; iOS 18.1)"}
WEB = {"X-Session-Transport": "cookie"}
URL = re.compile(r"(?:https?://|www\.)[^\s）)」]+")
Options = dict[str, Any]
USED_OR_EXPIRED = PASSKEY_ERRORS.refusal(ChallengeExpired())
EXPIRED = (USED_OR_EXPIRED.status, USED_OR_EXPIRED.code)
"""A challenge used, expired, never given or given for something else: as identity documents it."""


def _origin(product: Product) -> str:
    port = urlsplit(product.url).port
    assert port is not None
    return passkey_origin(port)


def _log_in(client: httpx.Client, email: str, **headers: str) -> httpx.Response:
    answer = client.post(
        "/api/v1/sessions", json={"email": email, "password": PASSWORD}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer


def _bearer(session: httpx.Response) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.json()['access_token']}"}


def _add_passkey(
    client: httpx.Client, product: Product, bearer: dict[str, str]
) -> tuple[SoftPasskey, str]:
    """A passkey made by the software authenticator for the gateway's origin, and its id."""
    ceremony = client.post("/api/v1/me/passkeys/options", headers=bearer)
    assert ceremony.status_code == 200, ceremony.text
    given = ceremony.json()
    passkey, answer = create(given["options"], _origin(product))
    body = {"challenge_id": given["challenge_id"], "name": "Pixel 8", "credential": answer}
    added = client.post("/api/v1/me/passkeys", headers=bearer, json=body)
    assert added.status_code == 201, added.text
    return passkey, added.json()["passkey_id"]


def _sign_in_options(client: httpx.Client) -> tuple[str, Options]:
    ceremony = client.post("/api/v1/sessions/passkey/options")
    assert ceremony.status_code == 200, ceremony.text
    return ceremony.json()["challenge_id"], ceremony.json()["options"]


def _passkey_sign_in(client: httpx.Client, challenge_id: str, credential: Any) -> httpx.Response:
    return client.post(
        "/api/v1/sessions/passkey",
        headers=WEB,
        json={"challenge_id": challenge_id, "credential": credential},
    )


def _refused(answer: httpx.Response, status: int, code_or_case: str) -> None:
    """The documented refusal in words, and nothing that would let anyone in. A passkey
    sign-in's refusals (401) are all passkey_refused, whatever was wrong (`code_or_case`)."""
    code = "passkey_refused" if status == 401 and " " in code_or_case else code_or_case
    assert (answer.status_code, answer.json()["code"]) == (status, code), (
        code_or_case,
        answer.text,
    )
    assert set(answer.json()) == {"code", "message"}, answer.text  # no token beside them
    assert "claims_session=" not in answer.headers.get("set-cookie", "").replace(
        'claims_session=""', ""
    ), answer.headers


def _same_as_missing(foreign: httpx.Response, missing: httpx.Response, code: str) -> None:
    assert (foreign.status_code, foreign.json()["code"]) == (404, code), foreign.text
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())


def test_another_customers_sessions_passkeys_and_past_claims_are_not_found_and_unchanged(
    product: Product,
) -> None:
    me, other = product.customer(PASSWORD), product.customer(PASSWORD)
    mine: ClaimLog = product.accident_for(me.customer_id, me.policy_numbers[0])
    theirs = product.accident_for(other.customer_id, other.policy_numbers[0])
    with httpx.Client(base_url=product.url, timeout=15) as client:
        bearer = _bearer(_log_in(client, me.email))
        phone = _log_in(client, other.email, **APP_DEVICE)
        owner = _bearer(_log_in(client, other.email))
        _, passkey_id = _add_passkey(client, product, owner)
        sessions = client.get("/api/v1/me/sessions", headers=owner).json()["sessions"]
        assert len(sessions) == 2, sessions

        for session in sessions:
            foreign = client.delete(f"/api/v1/me/sessions/{session['session_id']}", headers=bearer)
            missing = client.delete(f"/api/v1/me/sessions/{uuid.uuid4()}", headers=bearer)
            _same_as_missing(foreign, missing, "session_not_found")
        foreign = client.delete(f"/api/v1/me/passkeys/{passkey_id}", headers=bearer)
        missing = client.delete(f"/api/v1/me/passkeys/{uuid.uuid4()}", headers=bearer)
        _same_as_missing(foreign, missing, "not_found")

        # Nothing of theirs changed: both sessions live (the phone refreshes), the passkey kept.
        still = client.get("/api/v1/me/sessions", headers=owner).json()["sessions"]
        assert sorted(s["session_id"] for s in still) == sorted(s["session_id"] for s in sessions)
        refreshed = client.post(
            "/api/v1/sessions/refresh", json={"refresh_token": phone.json()["refresh_token"]}
        )
        assert refreshed.status_code == 200, refreshed.text
        kept = client.get("/api/v1/me/passkeys", headers=owner).json()
        assert [p["passkey_id"] for p in kept] == [passkey_id]

        _past_claims_are_theirs_alone(client, bearer, mine, theirs)
    _mails_carry_no_link(product, other, "パスキー登録", "新しい端末")
    _mails_carry_no_link(product, me)  # the accident's notices, as far as they came


def _past_claims_are_theirs_alone(
    client: httpx.Client, bearer: dict[str, str], mine: ClaimLog, theirs: ClaimLog
) -> None:
    """?as_of= reads the event store, not the customer's read model: it must filter the same."""

    def accident(claim_id: str, as_of: str) -> httpx.Response:
        return client.get(
            f"/api/v1/me/accidents/{claim_id}", params={"as_of": as_of}, headers=bearer
        )

    for as_of in ("2026-11-25", "２０２６－１１－２５", "2026-11-25T23:00+09:00"):
        own = accident(mine.claim_id, as_of)
        assert own.status_code == 200 and own.json()["claim_id"] == mine.claim_id, own.text
        foreign = accident(theirs.claim_id, as_of)
        _same_as_missing(foreign, accident("CL-none", as_of), "not_found")
        assert theirs.claim_id not in foreign.text
    for garbage in (
        "yesterday",
        "2026-02-30",
        "2026-11-25T25:00",
        "15:30",
        "' OR '1'='1",
        "１" * 100,
        "\U0001f600",
    ):
        answer = accident(mine.claim_id, garbage)
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_as_of"), garbage
        assert set(answer.json()) == {"code", "message"} and "日付" in answer.json()["message"]
        foreign = accident(theirs.claim_id, garbage)
        assert foreign.status_code in (404, 422) and theirs.claim_id not in foreign.text
    control = accident(mine.claim_id, "2026-11-25\x00")  # refused before any route, in words
    assert (control.status_code, control.json()["code"]) == (400, "invalid_characters")


def test_passkey_sign_in_refuses_forged_unknown_replayed_expired_and_foreign_answers(
    product: Product,
) -> None:
    owner = product.customer(PASSWORD)
    origin = _origin(product)
    with httpx.Client(base_url=product.url, timeout=15) as client:
        bearer = _bearer(_log_in(client, owner.email))
        passkey, _ = _add_passkey(client, product, bearer)
        stranger = SoftPasskey(passkey.rp_id, uuid.uuid4().bytes)

        def tampered(options: Options, **response: str) -> Any:
            answer = get(passkey, options, origin)
            return {**answer, "response": {**answer["response"], **response}}

        forged: dict[str, Callable[[Options], Any]] = {
            "signature changed": lambda o: tampered(o, signature=b64url(b"\x30" * 70)),
            "client data not JSON": lambda o: tampered(o, clientDataJSON=b64url(b"{")),
            "authenticator data cut": lambda o: tampered(o, authenticatorData="AAAA"),
            "another account's handle": lambda o: tampered(
                o, userHandle=b64url(uuid.uuid4().bytes)
            ),
            "unknown credential": lambda o: get(stranger, o, origin),
            "another origin": lambda o: get(passkey, o, "https://evil.example"),
        }
        for name, answer_for in forged.items():
            challenge_id, options = _sign_in_options(client)
            _refused(_passkey_sign_in(client, challenge_id, answer_for(options)), 401, name)
        challenge_id, _ = _sign_in_options(client)
        garbled = _passkey_sign_in(client, challenge_id, {"id": "x", "type": "public-key"})
        assert (garbled.status_code, garbled.json()["code"]) == (422, "validation_failed")
        assert "access_token" not in garbled.text

        # Replayed: the very answer that signed in, sent again, and its challenge's answer
        # presented with another challenge's id.
        challenge_id, options = _sign_in_options(client)
        genuine = get(passkey, options, origin)
        signed_in = _passkey_sign_in(client, challenge_id, genuine)
        assert signed_in.status_code == 200 and signed_in.json()["access_token"], signed_in.text
        _refused(_passkey_sign_in(client, challenge_id, genuine), *EXPIRED)
        other_challenge, _ = _sign_in_options(client)
        _refused(_passkey_sign_in(client, other_challenge, genuine), 401, "passkey_refused")

        # Foreign: a challenge given for adding a passkey, used to sign in.
        ceremony = client.post("/api/v1/me/passkeys/options", headers=bearer).json()
        _refused(
            _passkey_sign_in(
                client, ceremony["challenge_id"], get(passkey, ceremony["options"], origin)
            ),
            *EXPIRED,
        )
        # Never given, and expired.
        _, options = _sign_in_options(client)
        _refused(
            _passkey_sign_in(client, str(uuid.uuid4()), get(passkey, options, origin)),
            *EXPIRED,
        )
        challenge_id, options = _sign_in_options(client)
        product.clock.advance(seconds=_setting("webauthn_challenge_seconds") + 1)
        late = _passkey_sign_in(client, challenge_id, get(passkey, options, origin))
        _refused(late, *EXPIRED)

        # The refusals were the answers', not the passkey's: it still signs its owner in.
        challenge_id, options = _sign_in_options(client)
        again = _passkey_sign_in(client, challenge_id, get(passkey, options, origin))
        assert again.status_code == 200, again.text
    _mails_carry_no_link(product, owner, "パスキー登録", "新しい端末")


def _setting(name: str) -> int:
    """The identity setting's value in the sweep's stack (the harness leaves the defaults)."""
    value = IdentitySettings.model_fields[name].default
    assert isinstance(value, int)
    return value


def test_adding_or_removing_a_passkey_needs_a_recent_sign_in(product: Product) -> None:
    """The sweep's services share the test's clock: moved past IDENTITY_RECENT_SIGN_IN_SECONDS,
    a token still valid (IDENTITY_ACCESS_TOKEN_SECONDS is longer) is no longer a recent sign-in."""
    owner = product.customer(PASSWORD)
    with httpx.Client(base_url=product.url, timeout=15) as client:
        bearer = _bearer(_log_in(client, owner.email))
        _, passkey_id = _add_passkey(client, product, bearer)
        ceremony = client.post("/api/v1/me/passkeys/options", headers=bearer).json()
        _, answer = create(ceremony["options"], _origin(product))
        product.clock.advance(seconds=_setting("recent_sign_in_seconds") + 1)

        for refused in (
            client.post("/api/v1/me/passkeys/options", headers=bearer),
            client.post(
                "/api/v1/me/passkeys",
                headers=bearer,
                json={"challenge_id": ceremony["challenge_id"], "credential": answer},
            ),
            client.delete(f"/api/v1/me/passkeys/{passkey_id}", headers=bearer),
        ):
            assert (refused.status_code, refused.json()["code"]) == (403, "sign_in_again")
            assert set(refused.json()) == {"code", "message"}
        listed = client.get("/api/v1/me/passkeys", headers=bearer)
        assert [p["passkey_id"] for p in listed.json()] == [passkey_id], "nothing changed"

        fresh = _bearer(_log_in(client, owner.email))
        assert client.delete(f"/api/v1/me/passkeys/{passkey_id}", headers=fresh).status_code == 204
        assert client.get("/api/v1/me/passkeys", headers=fresh).json() == []
    _mails_carry_no_link(product, owner, "パスキー登録", "パスキー削除", "新しい端末")


def test_a_stolen_refresh_token_or_cookie_is_refused_once_its_session_is_ended(
    product: Product,
) -> None:
    victim = product.customer(PASSWORD)
    with httpx.Client(base_url=product.url, timeout=15) as client:
        own = _log_in(client, victim.email, **APP_DEVICE)
        stolen_token = _log_in(client, victim.email, **APP_DEVICE).json()["refresh_token"]
        web = _log_in(client, victim.email, **WEB)
        assert "refresh_token" not in web.json() or web.json()["refresh_token"] is None
        cookies = web.headers.get_list("set-cookie")
        for name in ("claims_session", "claims_device"):
            [cookie] = [c for c in cookies if c.startswith(f"{name}=")]
            for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/v1/sessions"):
                assert attribute.lower() in cookie.lower(), (name, cookie)
        [stolen_cookie] = re.findall(r"claims_session=([^;]+)", web.headers["set-cookie"])
        client.cookies.clear()

        ended = client.delete("/api/v1/me/sessions", headers=_bearer(own))
        assert ended.status_code == 204, ended.text
        thief = client.post("/api/v1/sessions/refresh", json={"refresh_token": stolen_token})
        _refused(thief, 401, "invalid_refresh_token")
        by_cookie = client.post(
            "/api/v1/sessions/refresh",
            headers={**WEB, "Cookie": f"claims_session={stolen_cookie}"},
        )
        _refused(by_cookie, 401, "invalid_refresh_token")
        assert 'claims_session=""' in by_cookie.headers["set-cookie"], "the dead cookie expired"

        mine = client.post(
            "/api/v1/sessions/refresh", json={"refresh_token": own.json()["refresh_token"]}
        )
        assert mine.status_code == 200, "the customer's own session goes on"
        listed = client.get("/api/v1/me/sessions", headers=_bearer(mine)).json()["sessions"]
        assert [s["current"] for s in listed] == [True]
    _mails_carry_no_link(product, victim, "新しい端末")


def _mails_carry_no_link(product: Product, customer: UserRegistered, *subjects: str) -> None:
    """Once the notices named by `subjects` have come, every mail to the customer: no link at
    all (every page of the web front asks a signed-out customer for the password first; the
    accident's notices say in words where to look)."""
    deadline = time.monotonic() + 60
    while True:
        mails = product.mails_to(customer.email)
        if all(any(s in m["subject"] for m in mails) for s in subjects):
            break
        assert time.monotonic() < deadline, [m["subject"] for m in mails]
        time.sleep(1)
    for mail in mails:
        text = unicodedata.normalize("NFKC", f"{mail['subject']}\n{mail['text']}")
        assert URL.findall(text) == [], mail["subject"]


def test_passkey_sign_in_is_throttled_per_client_like_the_log_in(
    product: Product, all_at_once: Any
) -> None:
    """A stuffing tool asks for challenges as fast as it can (each one a row in identity's
    database): the gateway's limit for log-ins holds it back the same way."""

    def ask(client: httpx.Client, _: int) -> httpx.Response:
        return client.post("/api/v1/sessions/passkey/options")

    answers = all_at_once(product.url, ask)
    throttled = [a for a in answers if a.status_code == 429]
    assert throttled, [a.status_code for a in answers]
    assert {a.status_code for a in answers} <= {200, 429}
    assert all(set(a.json()) == {"code", "message"} for a in throttled)
