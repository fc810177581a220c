"""Refresh tokens: opaque, random, stored only as SHA-256 hashes, rotated on every use. Each
log-in starts a family; presenting a refresh token that was already used means it was copied,
so the whole family is revoked (OWASP ASVS V7, refresh token rotation with reuse detection).
A family is the customer's session (`sessions`, the access token's `sid`): the device it began
on, its log-in time (`auth_time`, which refreshes keep) and its last use."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from identity.devices import Device


@dataclass(frozen=True)
class ActiveSession:
    """A session as the customer's sessions page shows it."""

    session_id: uuid.UUID
    device: Device
    signed_in_at: datetime
    last_used_at: datetime


class RefreshTokenInvalid(Exception):
    """Unknown, expired, revoked, or reused (in which case its family is now revoked)."""


@dataclass(frozen=True)
class Rotated:
    user_id: uuid.UUID
    family_id: uuid.UUID
    refresh_token: str
    signed_in_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RefreshTokens:
    def __init__(self, pool: asyncpg.Pool, lifetime: timedelta) -> None:
        self.pool = pool
        self.lifetime = lifetime

    async def start(
        self, user_id: uuid.UUID, family_id: uuid.UUID, device: Device, now: datetime
    ) -> str:
        """A log-in: the session's row and its first refresh token, together in one statement
        (atomic on its own: no transaction's BEGIN and COMMIT round trips, issue 19)."""
        token = secrets.token_urlsafe(32)
        await self.pool.execute(
            "WITH session AS (INSERT INTO sessions (session_id, user_id, browser, platform, "
            "signed_in_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $5)) "
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) "
            "VALUES ($6, $1, $2, $5, $7)",
            family_id,
            user_id,
            device.browser,
            device.platform,
            now,
            _digest(token),
            now + self.lifetime,
        )
        return token

    async def _issue(
        self,
        user_id: uuid.UUID,
        family_id: uuid.UUID,
        now: datetime,
        conn: asyncpg.Connection,
    ) -> str:
        token = secrets.token_urlsafe(32)
        await conn.execute(
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
                fresh = await self._issue(row["user_id"], row["family_id"], now, conn)
                signed_in_at = await conn.fetchval(
                    "UPDATE sessions SET last_used_at = $2 WHERE session_id = $1 "
                    "RETURNING signed_in_at",
                    row["family_id"],
                    now,
                )
                reused = False
        if reused or signed_in_at is None:
            raise RefreshTokenInvalid
        return Rotated(row["user_id"], row["family_id"], fresh, signed_in_at)

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

    async def active(self, user_id: uuid.UUID, now: datetime) -> list[ActiveSession]:
        """The account's sessions that can still refresh (a live, unused token in the family),
        the one used last first. A revoked, expired or reused family is gone from the list."""
        rows = await self.pool.fetch(
            "SELECT * FROM sessions s WHERE s.user_id = $1 AND EXISTS (SELECT 1 FROM "
            "refresh_tokens t WHERE t.family_id = s.session_id AND t.revoked_at IS NULL "
            "AND t.used_at IS NULL AND t.expires_at > $2) ORDER BY s.last_used_at DESC",
            user_id,
            now,
        )
        return [
            ActiveSession(
                row["session_id"],
                Device(row["browser"], row["platform"]),
                row["signed_in_at"],
                row["last_used_at"],
            )
            for row in rows
        ]

    async def end(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool:
        """False when the account has no such live session (another account's included)."""
        status: str = await self.pool.execute(
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE user_id = $1 AND family_id = $2 "
            "AND revoked_at IS NULL AND used_at IS NULL AND expires_at > $3",
            user_id,
            session_id,
            now,
        )
        return status != "UPDATE 0"

    async def end_others(self, user_id: uuid.UUID, keep: uuid.UUID, now: datetime) -> None:
        await self.pool.execute(
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE user_id = $1 AND family_id <> $2 "
            "AND revoked_at IS NULL",
            user_id,
            keep,
            now,
        )

    async def is_live(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool:
        """As `active` counts one (a family that can still refresh), for the one session a
        sensitive route is asked from: one query on refresh_tokens_family."""
        live: bool = await self.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $2 AND user_id = $1 "
            "AND revoked_at IS NULL AND used_at IS NULL AND expires_at > $3)",
            user_id,
            session_id,
            now,
        )
        return live
