"""Refresh tokens: opaque, random, stored only as SHA-256 hashes, rotated on every use. Each
log-in starts a family; presenting a refresh token that was already used means it was copied,
so the whole family is revoked (OWASP ASVS V7, refresh token rotation with reuse detection)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg


class RefreshTokenInvalid(Exception):
    """Unknown, expired, revoked, or reused (in which case its family is now revoked)."""


@dataclass(frozen=True)
class Rotated:
    user_id: uuid.UUID
    family_id: uuid.UUID
    refresh_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokens:
    def __init__(self, pool: asyncpg.Pool, lifetime: timedelta) -> None:
        self.pool = pool
        self.lifetime = lifetime

    async def issue(
        self,
        user_id: uuid.UUID,
        family_id: uuid.UUID,
        now: datetime,
        conn: asyncpg.Connection | None = None,
    ) -> str:
        token = secrets.token_urlsafe(32)
        await (conn or self.pool).execute(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            _digest(token),
            family_id,
            user_id,
            now,
            now + self.lifetime,
        )
        return token

    async def rotate(self, token: str, now: datetime) -> Rotated:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT * FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE", _digest(token)
            )
            if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
                raise RefreshTokenInvalid
            if row["used_at"] is not None:
                await conn.execute(
                    "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 "
                    "AND revoked_at IS NULL",
                    row["family_id"],
                    now,
                )
                reused = True
            else:
                await conn.execute(
                    "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1",
                    row["token_hash"],
                    now,
                )
                fresh = await self.issue(row["user_id"], row["family_id"], now, conn)
                reused = False
        if reused:
            raise RefreshTokenInvalid
        return Rotated(row["user_id"], row["family_id"], fresh)

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.pool.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )

    async def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.pool.execute(
            "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            user_id,
            now,
        )
