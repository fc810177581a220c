"""Passkeys and WebAuthn challenges in PostgreSQL (tables of migration identity_0003)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg

from identity.passkeys import Challenge, Passkey, Purpose

_COLUMNS = (
    "passkey_id, user_id, credential_id, public_key, sign_count, transports, name, created_at, "
    "last_used_at, disabled_at"
)


def _passkey(row: asyncpg.Record) -> Passkey:
    return Passkey(
        passkey_id=row["passkey_id"],
        user_id=row["user_id"],
        credential_id=bytes(row["credential_id"]),
        public_key=bytes(row["public_key"]),
        sign_count=row["sign_count"],
        transports=tuple(row["transports"]),
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        disabled_at=row["disabled_at"],
    )


class Passkeys:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def of_user(self, user_id: uuid.UUID) -> list[Passkey]:
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, passkey_id",
            user_id,
        )
        return [_passkey(row) for row in rows]

    async def by_credential(self, credential_id: bytes) -> Passkey | None:
        row = await self.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM passkeys WHERE credential_id = $1", credential_id
        )
        return None if row is None else _passkey(row)

    async def add(self, passkey: Passkey, then: Callable[[], Awaitable[None]]) -> bool:
        """The row commits only after `then` (the PasskeyAdded event) is saved: a passkey never
        exists without its security notice on the way."""
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                f"INSERT INTO passkeys ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                "$10) ON CONFLICT (credential_id) DO NOTHING RETURNING true",
                passkey.passkey_id,
                passkey.user_id,
                passkey.credential_id,
                passkey.public_key,
                passkey.sign_count,
                list(passkey.transports),
                passkey.name,
                passkey.created_at,
                passkey.last_used_at,
                passkey.disabled_at,
            )
            if not inserted:
                return False
            await then()
        return True

    async def remove(
        self, user_id: uuid.UUID, passkey_id: uuid.UUID, then: Callable[[Passkey], Awaitable[None]]
    ) -> bool:
        """A foreign passkey is not found, like a missing one."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                f"DELETE FROM passkeys WHERE passkey_id = $1 AND user_id = $2 RETURNING {_COLUMNS}",
                passkey_id,
                user_id,
            )
            if row is None:
                return False
            await then(_passkey(row))
        return True

    async def record_use(self, passkey_id: uuid.UUID, sign_count: int, now: datetime) -> bool:
        """Conditional, so two sign-ins racing with one answer's count cannot both pass."""
        updated = await self.pool.fetchval(
            "UPDATE passkeys SET sign_count = $2, last_used_at = $3 WHERE passkey_id = $1 "
            "AND (sign_count < $2 OR (sign_count = 0 AND $2 = 0)) RETURNING true",
            passkey_id,
            sign_count,
            now,
        )
        return bool(updated)

    async def disable(
        self, passkey_id: uuid.UUID, now: datetime, then: Callable[[], Awaitable[None]]
    ) -> None:
        """The PasskeyDisabled event commits with the mark, or neither does."""
        async with self.pool.acquire() as conn, conn.transaction():
            disabled = await conn.fetchval(
                "UPDATE passkeys SET disabled_at = $2 WHERE passkey_id = $1 "
                "AND disabled_at IS NULL RETURNING true",
                passkey_id,
                now,
            )
            if disabled:
                await then()


class Challenges:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def keep(self, challenge: Challenge, now: datetime) -> None:
        """Expired ones are swept here, so the table stays as small as the ceremonies under way."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM webauthn_challenges WHERE expires_at < $1", now)
            await conn.execute(
                "INSERT INTO webauthn_challenges (challenge_id, challenge, purpose, user_id, "
                "expires_at) VALUES ($1, $2, $3, $4, $5)",
                challenge.challenge_id,
                challenge.challenge,
                challenge.purpose,
                challenge.user_id,
                challenge.expires_at,
            )

    async def take(
        self, challenge_id: uuid.UUID, purpose: Purpose, now: datetime
    ) -> Challenge | None:
        row = await self.pool.fetchrow(
            "DELETE FROM webauthn_challenges WHERE challenge_id = $1 RETURNING challenge, "
            "purpose, user_id, expires_at",
            challenge_id,
        )
        if row is None or row["purpose"] != purpose or row["expires_at"] <= now:
            return None
        return Challenge(
            challenge_id, bytes(row["challenge"]), purpose, row["user_id"], row["expires_at"]
        )
