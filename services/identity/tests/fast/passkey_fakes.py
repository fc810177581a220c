"""In-memory passkeys and WebAuthn challenges (identity.passkeys' ports), for the fast tier."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from identity.passkeys import Challenge, ChallengeStore, Passkey, PasskeyStore, Purpose


class InMemoryPasskeys:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Passkey] = {}

    async def of_user(self, user_id: uuid.UUID) -> list[Passkey]:
        return sorted(
            (p for p in self.rows.values() if p.user_id == user_id), key=lambda p: p.created_at
        )

    async def by_credential(self, credential_id: bytes) -> Passkey | None:
        return next((p for p in self.rows.values() if p.credential_id == credential_id), None)

    async def add(self, passkey: Passkey, then: Callable[[], Awaitable[None]]) -> bool:
        if await self.by_credential(passkey.credential_id) is not None:
            return False
        await then()
        self.rows[passkey.passkey_id] = passkey
        return True

    async def remove(
        self, user_id: uuid.UUID, passkey_id: uuid.UUID, then: Callable[[Passkey], Awaitable[None]]
    ) -> bool:
        passkey = self.rows.get(passkey_id)
        if passkey is None or passkey.user_id != user_id:
            return False
        await then(passkey)
        del self.rows[passkey_id]
        return True

    async def record_use(self, passkey_id: uuid.UUID, sign_count: int, now: datetime) -> bool:
        passkey = self.rows[passkey_id]
        if not (passkey.sign_count < sign_count or passkey.sign_count == sign_count == 0):
            return False
        self.rows[passkey_id] = replace(passkey, sign_count=sign_count, last_used_at=now)
        return True

    async def disable(
        self, passkey_id: uuid.UUID, now: datetime, then: Callable[[], Awaitable[None]]
    ) -> None:
        passkey = self.rows[passkey_id]
        if passkey.disabled_at is None:
            await then()
            self.rows[passkey_id] = replace(passkey, disabled_at=now)


class InMemoryChallenges:
    def __init__(self) -> None:
        self.kept: dict[uuid.UUID, Challenge] = {}

    async def keep(self, challenge: Challenge, now: datetime) -> None:
        self.kept = {k: c for k, c in self.kept.items() if c.expires_at >= now}
        self.kept[challenge.challenge_id] = challenge

    async def take(
        self, challenge_id: uuid.UUID, purpose: Purpose, now: datetime
    ) -> Challenge | None:
        challenge = self.kept.pop(challenge_id, None)
        if challenge is None or challenge.purpose != purpose or challenge.expires_at <= now:
            return None
        return challenge


_passkeys: type[PasskeyStore] = InMemoryPasskeys
_challenges: type[ChallengeStore] = InMemoryChallenges
