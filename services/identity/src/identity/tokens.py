"""Signing keys and access tokens.

Access tokens are short-lived EdDSA (Ed25519) JWTs with the key id in the header. Keys live in the
identity database, their private halves encrypted with the key-encryption key from settings
(libsodium secretbox), so a database dump alone signs nothing. Rotation adds a new key and signs
with it at once; older keys stay in the JWKS until every token they signed has expired.

The key-encryption key itself is rotated in place: with the new one as the key and the old one as
the previous, every key opens (whichever sealed it) and `reseal` seals each again under the new
one, a row per transaction, skipping rows already done, so a run cut short is simply run again.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from claims_shared.auth import ALGORITHM


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    public_jwk: dict[str, Any]


class SigningKeys:
    def __init__(
        self,
        pool: asyncpg.Pool,
        key_encryption_key_b64: str,
        previous_key_encryption_key_b64: str | None = None,
    ) -> None:
        self.pool = pool
        self.box = SecretBox(base64.b64decode(key_encryption_key_b64))
        self.previous = (
            SecretBox(base64.b64decode(previous_key_encryption_key_b64))
            if previous_key_encryption_key_b64
            else None
        )
        self._active: SigningKey | None = None
        self._checked_at: datetime | None = None

    async def current(
        self, now: datetime, recheck: timedelta = timedelta(seconds=30)
    ) -> SigningKey:
        """The key to sign with; re-read now and then, so a rotation made by the operator
        command reaches every running instance without a restart."""
        if self._active is None or self._checked_at is None or now - self._checked_at > recheck:
            await self.ensure_active(now)
        return self.active

    async def ensure_active(self, now: datetime) -> SigningKey:
        """The newest key, made on first start."""
        row = await self.pool.fetchrow(
            "SELECT * FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1"
        )
        self._active = self._load(row) if row else await self.rotate(now)
        self._checked_at = now
        return self._active

    @property
    def active(self) -> SigningKey:
        assert self._active is not None, "ensure_active() first"
        return self._active

    async def rotate(self, now: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:8]}"
        public_jwk = {
            **json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key())),
            "kid": kid,
            "alg": ALGORITHM,
            "use": "sig",
        }
        raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", now
            )
            await conn.execute(
                "INSERT INTO signing_keys VALUES ($1, $2, $3, $4, NULL)",
                kid,
                self.box.encrypt(raw),
                json.dumps(public_jwk),
                now,
            )
        self._active = SigningKey(kid, private_key, public_jwk)
        return self._active

    async def jwks(self, now: datetime, token_lifetime: timedelta) -> dict[str, Any]:
        """Keys that may still have valid tokens out: active, or retired within a lifetime."""
        rows = await self.pool.fetch(
            "SELECT public_jwk FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1 "
            "ORDER BY created_at DESC",
            now - token_lifetime - timedelta(minutes=1),
        )
        return {"keys": [json.loads(row["public_jwk"]) for row in rows]}

    async def reseal(self) -> int:
        """Seal every stored key under the key-encryption key; how many needed it."""
        kids = await self.pool.fetch("SELECT kid FROM signing_keys ORDER BY created_at")
        return sum([await self._reseal(row["kid"]) for row in kids])

    async def _reseal(self, kid: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            sealed = bytes(
                await conn.fetchval(
                    "SELECT private_key FROM signing_keys WHERE kid = $1 FOR UPDATE", kid
                )
            )
            if self._opens(self.box, sealed):
                return False
            raw = self._open(sealed)
            await conn.execute(
                "UPDATE signing_keys SET private_key = $2 WHERE kid = $1",
                kid,
                self.box.encrypt(raw),
            )
        return True

    def _open(self, sealed: bytes) -> bytes:
        """The raw private key, sealed under the key-encryption key or (mid-rotation) the one
        before; CryptoError when neither opens it."""
        try:
            return bytes(self.box.decrypt(sealed))
        except CryptoError:
            if self.previous is None:
                raise
            return bytes(self.previous.decrypt(sealed))

    @staticmethod
    def _opens(box: SecretBox, sealed: bytes) -> bool:
        try:
            box.decrypt(sealed)
        except CryptoError:
            return False
        return True

    def _load(self, row: asyncpg.Record) -> SigningKey:
        raw = self._open(bytes(row["private_key"]))
        return SigningKey(
            row["kid"], Ed25519PrivateKey.from_private_bytes(raw), json.loads(row["public_jwk"])
        )


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    lifetime: timedelta


def access_token(
    key: SigningKey,
    settings: TokenSettings,
    *,
    user_id: uuid.UUID,
    customer_id: str | None,
    scope: str,
    roles: list[str],
    session_id: uuid.UUID,
    signed_in_at: datetime,
    now: datetime,
) -> str:
    """`sid` names the session (the refresh-token family) and `auth_time` (OpenID Connect's
    name) the moment its password was checked, which refreshes keep: a route that needs a
    recent sign-in compares it with now."""
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": str(user_id),
        "scope": scope,
        "sid": str(session_id),
        "auth_time": int(signed_in_at.timestamp()),
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + settings.lifetime).timestamp()),
    }
    if customer_id is not None:
        claims["customer_id"] = customer_id
    if roles:
        claims["roles"] = roles
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
