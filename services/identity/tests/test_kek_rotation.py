"""The key-encryption key is rotated in place (python -m identity.admin rotate-kek), against the
real database: tokens signed before still verify, afterwards the signing keys open with the new
key alone, a second run changes nothing, and a run cut short leaves every key usable and is
finished by running it again."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import jwt
import pytest
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from claims_shared.auth import ALGORITHM
from identity.admin import rotate_kek, stored_signing_keys
from identity.settings import IdentitySettings
from identity.tokens import SigningKey, SigningKeys
from identity_harness import identity_settings

AUDIENCE = "claims-status"


class Cut(Exception):
    """The run stops halfway: the operator's Ctrl-C, the pod evicted, the connection lost."""


def new_kek() -> str:
    return base64.b64encode(os.urandom(SecretBox.KEY_SIZE)).decode()


def signed(key: SigningKey) -> str:
    claims = {"sub": str(uuid.uuid4()), "aud": AUDIENCE, "exp": datetime.now(UTC) + timedelta(1)}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def verifies(token: str, jwks: dict[str, Any]) -> bool:
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    return bool(jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE))


async def sealed_keys(settings: IdentitySettings) -> dict[str, bytes]:
    connection = await asyncpg.connect(settings.database_url)
    try:
        rows = await connection.fetch("SELECT kid, private_key FROM signing_keys")
    finally:
        await connection.close()
    return {row["kid"]: bytes(row["private_key"]) for row in rows}


def opens_with(kek: str, sealed: bytes) -> bool:
    try:
        SecretBox(base64.b64decode(kek)).decrypt(sealed)
    except CryptoError:
        return False
    return True


@pytest.fixture
async def two_keys_under_old(
    infrastructure: Any, database_url: str
) -> tuple[str, IdentitySettings, list[str]]:
    """Two signing keys (one retired, one active) sealed under the old KEK, and a token each."""
    old = new_kek()
    before = identity_settings(infrastructure, database_url, key_encryption_key=old)
    async with stored_signing_keys(before) as keys:
        now = datetime.now(UTC)
        tokens = [signed(await keys.rotate(now - timedelta(minutes=5)))]
        tokens.append(signed(await keys.rotate(now)))
    rotating = identity_settings(
        infrastructure, database_url, key_encryption_key=new_kek(), previous_key_encryption_key=old
    )
    return old, rotating, tokens


async def test_rotate_kek_reseals_every_key_under_the_new_kek_alone(
    infrastructure: Any,
    database_url: str,
    two_keys_under_old: tuple[str, IdentitySettings, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, rotating, tokens = two_keys_under_old
    assert await rotate_kek(rotating) == 0
    assert "2 signing key(s) sealed again" in capsys.readouterr().out
    new = rotating.key_encryption_key
    sealed = await sealed_keys(rotating)
    assert len(sealed) == 2
    assert all(opens_with(new, s) and not opens_with(old, s) for s in sealed.values())
    after = identity_settings(infrastructure, database_url, key_encryption_key=new)
    async with stored_signing_keys(after) as keys:  # the service, given the new KEK only
        now = datetime.now(UTC)
        active = await keys.ensure_active(now)
        jwks = await keys.jwks(now, timedelta(minutes=15))
    assert all(verifies(token, jwks) for token in tokens), "tokens signed before still verify"
    assert (
        verifies(signed(active), jwks) and active.kid == jwt.get_unverified_header(tokens[1])["kid"]
    )
    with pytest.raises(CryptoError):  # the old KEK alone opens nothing any more
        async with stored_signing_keys(
            identity_settings(infrastructure, database_url, key_encryption_key=old)
        ) as keys:
            await keys.ensure_active(datetime.now(UTC))

    assert await rotate_kek(rotating) == 0  # again: nothing to do, nothing changed
    assert "0 signing key(s) sealed again" in capsys.readouterr().out
    assert await sealed_keys(rotating) == sealed


async def test_a_rotation_cut_short_leaves_every_key_usable_and_is_finished_by_running_it_again(
    two_keys_under_old: tuple[str, IdentitySettings, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    old, rotating, _ = two_keys_under_old
    reseal = SigningKeys._reseal
    done: list[str] = []

    async def cut_after_the_first(keys: SigningKeys, kid: str) -> bool:
        if done:
            raise Cut
        done.append(kid)
        return await reseal(keys, kid)

    monkeypatch.setattr(SigningKeys, "_reseal", cut_after_the_first)
    with pytest.raises(Cut):
        await rotate_kek(rotating)
    new = rotating.key_encryption_key
    sealed = await sealed_keys(rotating)
    assert opens_with(new, sealed[done[0]])
    [rest] = [s for kid, s in sealed.items() if kid != done[0]]
    assert opens_with(old, rest) and not opens_with(new, rest)
    async with stored_signing_keys(rotating) as keys:  # a running instance, given both KEKs
        assert (await keys.ensure_active(datetime.now(UTC))).private_key

    monkeypatch.undo()
    assert await rotate_kek(rotating) == 0
    assert "1 signing key(s) sealed again" in capsys.readouterr().out
    assert all(opens_with(new, s) for s in (await sealed_keys(rotating)).values())


async def test_rotate_kek_without_the_previous_kek_changes_nothing(
    two_keys_under_old: tuple[str, IdentitySettings, list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, rotating, _ = two_keys_under_old
    before = await sealed_keys(rotating)
    alone = rotating.model_copy(update={"previous_key_encryption_key": None})
    assert await rotate_kek(alone) == 2
    assert "IDENTITY_PREVIOUS_KEY_ENCRYPTION_KEY" in capsys.readouterr().err
    assert await sealed_keys(rotating) == before
