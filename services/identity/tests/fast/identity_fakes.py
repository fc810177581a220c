"""In-memory stand-ins for identity's ports (identity.main.IdentityPorts), and `open_in_memory`,
which `build(ports=...)` takes instead of opening PostgreSQL and Kafka. Each behaves as the real
adapter does where the fast tests depend on it; test_ports.py checks that against PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from passkey_fakes import InMemoryChallenges, InMemoryPasskeys

from claims_shared.auth import ALGORITHM
from claims_shared.clock import Clock
from claims_shared.service import Worker
from claims_shared.testing import POPO, InMemoryFailureLog
from identity.application import Accounts
from identity.devices import Device
from identity.domain import Account
from identity.known_devices import Recognised, device_hash, device_id_or_new
from identity.main import IdentityPorts
from identity.sessions import ActiveSession, RefreshTokenInvalid, Rotated
from identity.settings import IdentitySettings
from identity.sign_in import AccountsByEmail, DeviceRecognition, KeyRing, RefreshTokenStore
from identity.tokens import SigningKey


class InMemoryAccountEmails:
    """The log-in lookup read straight from the accounts' events, as the AccountEmails
    projection folds them (the first account of an email keeps it), without its lag."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    async def find(self, email: str) -> uuid.UUID | None:
        found: dict[str, uuid.UUID] = {}
        for notification in self.accounts.recorder.select_notifications(start=1, limit=10**6):
            domain_event = self.accounts.mapper.to_domain_event(notification)
            if isinstance(domain_event, Account.Registered):
                found.setdefault(domain_event.email.strip().lower(), domain_event.originator_id)
        return found.get(email)

    async def load(self, email: str) -> Account | None:
        account_id = await self.find(email)
        return None if account_id is None else self.accounts.account(account_id)


@dataclass(frozen=True)
class _Token:
    family_id: uuid.UUID
    user_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


class InMemoryRefreshTokens:
    """identity.sessions.RefreshTokens in a dict by the token's digest: rotated on use, and a
    reused token revokes its whole family."""

    def __init__(self, lifetime: timedelta) -> None:
        self.lifetime = lifetime
        self.tokens: dict[str, _Token] = {}
        self.sessions: dict[uuid.UUID, tuple[uuid.UUID, ActiveSession]] = {}

    async def start(
        self, user_id: uuid.UUID, family_id: uuid.UUID, device: Device, now: datetime
    ) -> str:
        self.sessions[family_id] = (user_id, ActiveSession(family_id, device, now, now))
        return await self._issue(user_id, family_id, now)

    async def _issue(self, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        self.tokens[_digest(token)] = _Token(family_id, user_id, now + self.lifetime)
        return token

    async def rotate(self, token: str, now: datetime) -> Rotated:
        found = self.tokens.get(_digest(token))
        if found is None or found.revoked_at is not None or found.expires_at <= now:
            raise RefreshTokenInvalid
        if found.used_at is not None:
            await self.revoke_family(found.family_id, now)
            raise RefreshTokenInvalid
        self.tokens[_digest(token)] = replace(found, used_at=now)
        fresh = await self._issue(found.user_id, found.family_id, now)
        user_id, session = self.sessions[found.family_id]
        self.sessions[found.family_id] = (user_id, replace(session, last_used_at=now))
        return Rotated(found.user_id, found.family_id, fresh, session.signed_in_at)

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        self._revoke(lambda token: token.family_id == family_id, now)

    async def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None:
        self._revoke(lambda token: token.user_id == user_id, now)

    async def active(self, user_id: uuid.UUID, now: datetime) -> list[ActiveSession]:
        live = {family for family, _ in self._live(user_id, now)}
        found = [s for owner, s in self.sessions.values() if s.session_id in live]
        return sorted(found, key=lambda session: session.last_used_at, reverse=True)

    async def end(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool:
        if session_id not in {family for family, _ in self._live(user_id, now)}:
            return False
        await self.revoke_family(session_id, now)
        return True

    async def end_others(self, user_id: uuid.UUID, keep: uuid.UUID, now: datetime) -> None:
        self._revoke(lambda token: token.user_id == user_id and token.family_id != keep, now)

    async def is_live(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool:
        return session_id in {family for family, _ in self._live(user_id, now)}

    def _live(self, user_id: uuid.UUID, now: datetime) -> list[tuple[uuid.UUID, str]]:
        """Families with an unused, unrevoked, unexpired token, as the real store asks."""
        return [
            (token.family_id, digest)
            for digest, token in self.tokens.items()
            if token.user_id == user_id
            and token.used_at is None
            and token.revoked_at is None
            and token.expires_at > now
        ]

    def _revoke(self, chosen: Any, now: datetime) -> None:
        for digest, token in self.tokens.items():
            if chosen(token) and token.revoked_at is None:
                self.tokens[digest] = replace(token, revoked_at=now)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InMemoryKnownDevices:
    """identity.known_devices.KnownDevices in a dict: an account's first device is not new."""

    def __init__(self) -> None:
        self.hashes: dict[uuid.UUID, set[str]] = {}

    async def recognise(self, user_id: uuid.UUID, sent: str | None, now: datetime) -> Recognised:
        device_id = device_id_or_new(sent)
        known = self.hashes.setdefault(user_id, set())
        new = bool(known) and device_hash(device_id) not in known
        known.add(device_hash(device_id))
        return Recognised(device_id, new)


class InMemorySigningKeys:
    """One signing key for the whole test (rotation is the real SigningKeys' business)."""

    def __init__(self) -> None:
        private_key = Ed25519PrivateKey.generate()
        kid = f"fast-{uuid.uuid4().hex[:8]}"
        public_jwk = {
            **json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key())),
            "kid": kid,
            "alg": ALGORITHM,
            "use": "sig",
        }
        self.key = SigningKey(kid, private_key, public_jwk)

    async def current(self, now: datetime) -> SigningKey:
        return self.key

    async def jwks(self, now: datetime, token_lifetime: timedelta) -> dict[str, Any]:
        return {"keys": [self.key.public_jwk]}


def in_memory_ports(settings: IdentitySettings) -> IdentityPorts:
    accounts = Accounts(env=POPO)
    return IdentityPorts(
        accounts=accounts,
        emails=InMemoryAccountEmails(accounts),
        keys=InMemorySigningKeys(),
        refresh_tokens=InMemoryRefreshTokens(timedelta(days=settings.refresh_token_days)),
        failures=InMemoryFailureLog(),
        devices=InMemoryKnownDevices(),
        passkeys=InMemoryPasskeys(),
        challenges=InMemoryChallenges(),
    )


def opening(ports: IdentityPorts) -> Any:
    """A `build(ports=...)` opener that hands over `ports` and runs no workers."""

    @asynccontextmanager
    async def open_in_memory(
        settings: IdentitySettings, clock: Clock, app: FastAPI
    ) -> AsyncIterator[tuple[IdentityPorts, list[Worker]]]:
        yield ports, []

    return open_in_memory


# mypy (strict, over tests/fast too): each fake fits the port the application declares.
_lookup: type[AccountsByEmail] = InMemoryAccountEmails
_tokens: type[RefreshTokenStore] = InMemoryRefreshTokens
_keys: type[KeyRing] = InMemorySigningKeys
_devices: type[DeviceRecognition] = InMemoryKnownDevices
