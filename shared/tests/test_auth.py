"""Access tokens are checked as identity issues them: EdDSA only, issuer, audience, expiry and a
key from identity's JWKS; anything else is a 401 in the common error format."""

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from claims_shared.auth import TokenVerifier
from claims_shared.errors import ApiError
from claims_shared.testing import forged_token

ISSUER, AUDIENCE = "claims-status-identity", "claims-status"


def _jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "EdDSA", "use": "sig"}


def _token(key: Ed25519PrivateKey, kid: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "customer_id": "C1",
        "scope": "customer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


class KeySet:
    def __init__(self, *keys: tuple[Ed25519PrivateKey, str]) -> None:
        self.keys = list(keys)
        self.fetches = 0

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": [_jwk(k, kid) for k, kid in self.keys]}


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


async def test_a_valid_token_gives_the_customer(key: Ed25519PrivateKey) -> None:
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE)
    principal = await verifier.verify(_token(key, "k1"))
    assert (principal.user_id, principal.customer_id) == ("user-1", "C1")
    assert principal.scopes == {"customer"}


async def test_the_session_and_its_sign_in_time_come_with_the_customer(
    key: Ed25519PrivateKey,
) -> None:
    """identity's tokens carry `sid` and `auth_time` (a recent sign-in is judged by it); tokens
    issued before auth_time existed still verify, with no sign-in time."""
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE)
    signed_in_at = int(time.time()) - 1200
    principal = await verifier.verify(_token(key, "k1", sid="s-1", auth_time=signed_in_at))
    assert (principal.session_id, principal.signed_in_at) == ("s-1", signed_in_at)
    assert (await verifier.verify(_token(key, "k1"))).signed_in_at is None


def _alg_none(token: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"k1"}').rstrip(b"=").decode()
    return f"{header}.{token.split('.')[1]}."


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(lambda k: forged_token(_token(k, "k1"), customer_id="C2"), id="tampered"),
        pytest.param(lambda k: _token(k, "k1", exp=int(time.time()) - 60), id="expired"),
        pytest.param(lambda k: _token(k, "k1", nbf=int(time.time()) + 600), id="not-yet-valid"),
        pytest.param(lambda k: _token(k, "k1", aud="someone-else"), id="wrong-audience"),
        pytest.param(lambda k: _token(k, "k1", iss="evil"), id="wrong-issuer"),
        pytest.param(lambda k: _alg_none(_token(k, "k1")), id="alg-none"),
        pytest.param(lambda k: _token(Ed25519PrivateKey.generate(), "k1"), id="foreign-key"),
        pytest.param(lambda k: _token(Ed25519PrivateKey.generate(), "k9"), id="unknown-kid"),
        pytest.param(
            lambda k: jwt.encode(
                {"sub": "x"},
                "a-shared-secret-of-at-least-32-bytes!",
                algorithm="HS256",
                headers={"kid": "k1"},
            ),
            id="hs256",
        ),
        pytest.param(lambda k: "not-a-jwt", id="garbage"),
        pytest.param(lambda k: _token(k, "k1", auth_time="1764500000"), id="auth-time-text"),
    ],
)
async def test_bad_tokens_are_refused(key: Ed25519PrivateKey, make_bad: Any) -> None:
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(ApiError) as refused:
        await verifier.verify(make_bad(key))
    assert (refused.value.status, refused.value.code) == (401, "invalid_token")


async def test_a_rotated_key_is_fetched_once_and_old_keys_keep_verifying(
    key: Ed25519PrivateKey,
) -> None:
    keys = KeySet((key, "k1"))
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, refresh_interval=0)
    await verifier.verify(_token(key, "k1"))
    new_key = Ed25519PrivateKey.generate()
    keys.keys.append((new_key, "k2"))
    await verifier.verify(_token(new_key, "k2"))
    await verifier.verify(_token(key, "k1"))
    assert keys.fetches == 2


async def test_unknown_kids_do_not_hammer_the_key_set(key: Ed25519PrivateKey) -> None:
    keys = KeySet((key, "k1"))
    verifier = TokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, refresh_interval=60)
    for attempt in range(5):
        with pytest.raises(ApiError):
            await verifier.verify(_token(key, f"forged-{attempt}"))
    assert keys.fetches == 1
