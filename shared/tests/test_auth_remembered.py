"""A token verified once is remembered (the customer's pages send it with every request), and
remembering changes nothing a caller can see: it still expires, a changed byte is verified
afresh, and a key identity has retired stops verifying once the key set is fetched again."""

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from claims_shared import auth
from claims_shared.auth import TokenVerifier
from claims_shared.errors import ApiError
from devinfra.testing import ManualClock

ISSUER, AUDIENCE = "claims-status-identity", "claims-status"


def _jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "EdDSA", "use": "sig"}


def _token(key: Ed25519PrivateKey, kid: str, issued_at: int, lifetime: int = 300) -> str:
    claims = {
        "sub": "user-1",
        "customer_id": "C1",
        "scope": "customer",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": issued_at,
        "exp": issued_at + lifetime,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})


class KeySet:
    def __init__(self, *keys: tuple[Ed25519PrivateKey, str]) -> None:
        self.keys = list(keys)

    async def __call__(self) -> dict[str, Any]:
        return {"keys": [_jwk(k, kid) for k, kid in self.keys]}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def _refused(verifier: TokenVerifier, token: str) -> tuple[int, str]:
    with pytest.raises(ApiError) as refused:
        await verifier.verified(token)
    return refused.value.status, refused.value.code


async def test_a_second_use_skips_the_signature_check(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Ed25519PrivateKey.generate()
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    token = _token(key, "k1", int(clock().timestamp()))
    decodes = 0
    real_decode = auth.jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        nonlocal decodes
        decodes += 1
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting_decode)
    first = await verifier.verified(token)
    second = await verifier.verified(token)
    assert (second, second.customer_id, decodes) == (first, "C1", 1)


async def test_a_remembered_token_still_expires(clock: ManualClock) -> None:
    key = Ed25519PrivateKey.generate()
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    token = _token(key, "k1", int(clock().timestamp()), lifetime=300)
    assert (await verifier.verified(token)).user_id == "user-1"
    clock.advance(seconds=300 + verifier.leeway)
    assert await _refused(verifier, token) == (401, "invalid_token")


async def test_a_changed_signature_is_checked_again(clock: ManualClock) -> None:
    key = Ed25519PrivateKey.generate()
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    token = _token(key, "k1", int(clock().timestamp()))
    await verifier.verified(token)
    last = token[-2]
    changed = token[:-2] + ("A" if last != "A" else "B") + token[-1]
    assert await _refused(verifier, changed) == (401, "invalid_token")


async def test_a_retired_key_stops_verifying_after_the_key_set_is_fetched_again(
    clock: ManualClock,
) -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys = KeySet((old, "k1"))
    verifier = TokenVerifier(
        keys, issuer=ISSUER, audience=AUDIENCE, clock=clock, refresh_interval=0
    )
    now = int(clock().timestamp())
    old_token = _token(old, "k1", now)
    await verifier.verified(old_token)
    keys.keys = [(new, "k2")]  # identity retired k1
    await verifier.verified(_token(new, "k2", now))  # an unknown kid: the key set is fetched
    assert await _refused(verifier, old_token) == (401, "invalid_token")


async def test_remembering_is_bounded(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "VERIFIED_TOKENS_KEPT", 3)
    key = Ed25519PrivateKey.generate()
    verifier = TokenVerifier(KeySet((key, "k1")), issuer=ISSUER, audience=AUDIENCE, clock=clock)
    now = int(clock().timestamp())
    for n in range(10):
        await verifier.verified(_token(key, "k1", now - n))
        assert len(verifier._verified) <= 3
