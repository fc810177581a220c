"""Log-in, refresh, log-out and password changes as the API needs them: the async side that
finds the account, runs the synchronous commands in a worker thread and issues tokens."""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any, NoReturn, Protocol, TypeVar

from claims_shared.auth import SCOPE_CUSTOMER, SCOPE_PASSWORD_CHANGE, SCOPE_STAFF
from claims_shared.logging import get_logger
from claims_shared.throttle import (
    FailureRecords,
    LockoutPolicy,
    refused_until,
)
from identity.application import (
    Accounts,
    Blocked,
    InvalidCredentials,
    LoggedIn,
    prepare_temporary_password,
    spend_failed_log_in_time,
)
from identity.devices import Device
from identity.domain import Account
from identity.known_devices import Recognised
from identity.sessions import ActiveSession, Rotated
from identity.tokens import SigningKey, TokenSettings, access_token

log = get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Session:
    access_token: str
    expires_in: int
    refresh_token: str | None
    password_change_required: bool
    device_id: str | None = None
    """The device's id to keep (cookie or app storage): the one sent, or a fresh one."""


class SessionNotFound(Exception):
    """No live session of this account by that id: ended, expired, or another account's."""


class AccountsByEmail(Protocol):
    """The log-in lookup (identity.lookup: the AccountEmails read model in PostgreSQL)."""

    async def find(self, email: str) -> uuid.UUID | None: ...

    async def load(self, email: str) -> Account | None:
        """The account of that email as the Accounts repository would give it (None: no
        account), read without a worker thread: a log-in's one statement before its hash."""
        ...


class RefreshTokenStore(Protocol):
    """identity.sessions.RefreshTokens: rotation with reuse detection."""

    @property
    def lifetime(self) -> timedelta: ...

    async def start(
        self, user_id: uuid.UUID, family_id: uuid.UUID, device: Device, now: datetime
    ) -> str: ...

    async def rotate(self, token: str, now: datetime) -> Rotated: ...

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None: ...

    async def revoke_user(self, user_id: uuid.UUID, now: datetime) -> None: ...

    async def active(self, user_id: uuid.UUID, now: datetime) -> list[ActiveSession]: ...

    async def end(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool: ...

    async def end_others(self, user_id: uuid.UUID, keep: uuid.UUID, now: datetime) -> None: ...

    async def is_live(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> bool: ...


class DeviceRecognition(Protocol):
    """identity.known_devices.KnownDevices: the hashed device ids each account has used."""

    async def recognise(
        self, user_id: uuid.UUID, sent: str | None, now: datetime
    ) -> Recognised: ...


class KeyRing(Protocol):
    """identity.tokens.SigningKeys: the key to sign with, and the public keys to publish."""

    async def current(self, now: datetime) -> SigningKey: ...

    async def jwks(self, now: datetime, token_lifetime: timedelta) -> dict[str, Any]: ...


@dataclass
class SignInService:
    accounts: Accounts
    emails: AccountsByEmail
    keys: KeyRing
    refresh_tokens: RefreshTokenStore
    tokens: TokenSettings
    policy: LockoutPolicy
    failures: FailureRecords
    temporary_password_lifetime: timedelta
    reset_interval: timedelta
    notifier_public_key: str
    reset_answer_time: timedelta
    devices: DeviceRecognition
    hashing: Executor | None = None
    """Where a log-in's hashes run (known address or not, the same queue): as many threads as
    the process has cores (identity.main), each taking the next hash as soon as its last one
    ends. Through the default pool a log-in's thread woke to wait for a hashing turn and was
    woken again when the turn came, and the hashes rotated over six threads (issue 19).
    None: the default pool."""

    async def log_in(
        self, email: str, password: str, device: Device, device_id: str | None, now: datetime
    ) -> Session:
        """`email` as claims_shared.emails normalised it. Unknown emails cost the same hashing
        and are throttled the same way, so neither the answer, nor its timing, nor a 429 tells
        whether an account exists. `device_id` is the one the browser or app kept (or None)."""
        account = await self.emails.load(email)
        if account is None:
            await self._fail_unknown(email, password, now)
        outcome = await self._hash(
            self.accounts.attempt_log_in, account.id, password, now, self.policy, account
        )
        if isinstance(outcome, Blocked):
            raise refused_until(outcome.until, outcome.locked)
        session = await self._session_for(outcome, device, now)
        return await self._from_device(outcome.account, session, device, device_id, now)

    async def _hash(self, command: Callable[..., T], *args: Any) -> T:
        """`command` on a hashing thread, with this request's context (its log fields), as
        asyncio.to_thread would run it on the default pool."""
        call = partial(contextvars.copy_context().run, command, *args)
        return await asyncio.get_running_loop().run_in_executor(self.hashing, call)

    async def _from_device(
        self, account: Account, session: Session, device: Device, sent: str | None, now: datetime
    ) -> Session:
        """A device the account has not used is told by mail (the notifier's security notice),
        worded from the User-Agent and never with an address."""
        recognised = await self.devices.recognise(account.user_id, sent, now)
        if recognised.new:
            await asyncio.to_thread(
                self.accounts.record_sign_in_from_new_device, account.user_id, device, now
            )
        return replace(session, device_id=recognised.device_id)

    async def log_in_with_passkey(
        self, account_id: uuid.UUID, device: Device, device_id: str | None, now: datetime
    ) -> Session:
        """After identity.passkeys verified a passkey of this account: the same session as a
        password's, under the same lock-out and temporary-password rules, and told by mail
        when it comes from a device the account has not used."""
        outcome = await asyncio.to_thread(
            self.accounts.attempt_passkey_log_in, account_id, now, self.policy
        )
        if isinstance(outcome, Blocked):
            raise refused_until(outcome.until, outcome.locked)
        session = await self._session_for(outcome, device, now)
        return await self._from_device(outcome.account, session, device, device_id, now)

    async def _fail_unknown(self, email: str, password: str, now: datetime) -> NoReturn:
        subject = f"log-in:{email}"
        record = await self.failures.load(subject)
        blocked_until = record.blocked_until(now, self.policy)
        if blocked_until is not None:
            raise refused_until(blocked_until, record.locked(now))
        await self._hash(spend_failed_log_in_time, password)
        await self.failures.save(subject, record.after_failure(now, self.policy))
        raise InvalidCredentials

    async def _session_for(self, outcome: LoggedIn, device: Device, now: datetime) -> Session:
        account = outcome.account
        family = uuid.uuid4()
        if account.must_change_password:
            token = await self._token(account, SCOPE_PASSWORD_CHANGE, family, now, now)
            return Session(token, self._lifetime, None, True)
        refresh = await self.refresh_tokens.start(account.user_id, family, device, now)
        token = await self._token(account, _scope(account), family, now, now)
        return Session(token, self._lifetime, refresh, False)

    async def refresh(self, refresh_token: str, now: datetime) -> Session:
        rotated = await self.refresh_tokens.rotate(refresh_token, now)
        account = await asyncio.to_thread(self.accounts.account, rotated.user_id)
        token = await self._token(
            account, _scope(account), rotated.family_id, rotated.signed_in_at, now
        )
        return Session(token, self._lifetime, rotated.refresh_token, False)

    async def reset_password(self, email: str, now: datetime) -> None:
        """Costs the same whatever the account's state (unknown, customer, staff, reset a moment
        ago), so timing tells nothing: every request prepares a temporary password (the same
        hashing), and the answer waits until `reset_answer_time` after the start, a floor well
        above the work, so the database round trips that differ are hidden too."""
        started = time.monotonic()
        account_id = await self.emails.find(email)
        prepared = await asyncio.to_thread(prepare_temporary_password, self.notifier_public_key)
        if account_id is not None:
            await asyncio.to_thread(
                self.accounts.reset_password,
                account_id,
                prepared,
                now,
                self.temporary_password_lifetime,
                self.reset_interval,
            )
        await self._wait_for_answer_time(started)

    async def _wait_for_answer_time(self, started: float) -> None:
        spent = time.monotonic() - started
        floor = self.reset_answer_time.total_seconds()
        if spent > floor:
            log.warning("password reset took longer than its answer time", seconds=spent)
            return
        await asyncio.sleep(floor - spent)

    async def log_out(self, session_id: uuid.UUID, now: datetime) -> None:
        await self.refresh_tokens.revoke_family(session_id, now)

    async def change_password(
        self, account_id: uuid.UUID, current: str, new: str, now: datetime
    ) -> None:
        """Every other session ends: a password change is often a reaction to a stolen one."""
        await asyncio.to_thread(self.accounts.change_password, account_id, current, new)
        await self.refresh_tokens.revoke_user(account_id, now)

    async def sessions_of(self, user_id: uuid.UUID, now: datetime) -> list[ActiveSession]:
        return await self.refresh_tokens.active(user_id, now)

    async def end_session(self, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> None:
        """「このセッションをログアウト」: its refresh token stops working at once; its access
        token (15 minutes at most) runs out by itself, as at log-out."""
        if not await self.refresh_tokens.end(user_id, session_id, now):
            raise SessionNotFound(session_id)

    async def end_other_sessions(
        self, user_id: uuid.UUID, current: uuid.UUID, now: datetime
    ) -> None:
        """「ほかのすべての端末からログアウト」: every session but the one asking."""
        await self.refresh_tokens.end_others(user_id, current, now)

    @property
    def _lifetime(self) -> int:
        return int(self.tokens.lifetime.total_seconds())

    async def _token(
        self,
        account: Account,
        scope: str,
        family: uuid.UUID,
        signed_in_at: datetime,
        now: datetime,
    ) -> str:
        return access_token(
            await self.keys.current(now),
            self.tokens,
            user_id=account.user_id,
            customer_id=account.customer_id,
            scope=scope,
            roles=account.roles,
            session_id=family,
            signed_in_at=signed_in_at,
            now=now,
        )


def _scope(account: Account) -> str:
    return SCOPE_STAFF if account.is_staff else SCOPE_CUSTOMER
