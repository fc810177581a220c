"""The commands customers, staff and other services cause on accounts. Synchronous (eventsourcing
and argon2 are): the async adapters call these in a worker thread (a log-in's on one of the
hashing threads, identity.sign_in), where the ~20 ms of argon2id per log-in spends a worker
thread, not the event loop."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from prometheus_client import Counter

from claims_shared.passwords import (
    PasswordRefused,
    hash_password,
    refuse_password,
    seal_for_notifier,
    spend_equal_time,
    temporary_password,
    verify_password,
)
from claims_shared.throttle import LockoutPolicy
from identity.devices import Device
from identity.domain import Account

T = TypeVar("T")

ACCOUNTS_LOCKED = Counter("identity_accounts_locked_total", "Accounts locked after failed log-ins")

PasskeyChange = Literal["added", "removed", "disabled"]
"""What happened to a passkey, each told by its own security notice."""


@dataclass(frozen=True)
class LoggedIn:
    account: Account


@dataclass(frozen=True)
class Blocked:
    until: datetime
    locked: bool
    """Locked for the lock's time, not only made to wait (the answer tells them apart)."""


@dataclass(frozen=True)
class PreparedTemporaryPassword:
    """A temporary password hashed and sealed before anyone knows whether it will be issued:
    every reset request does this work, so its cost tells nothing about the account."""

    password_hash: str
    sealed: str


def prepare_temporary_password(notifier_public_key: str) -> PreparedTemporaryPassword:
    password = temporary_password()
    return PreparedTemporaryPassword(
        hash_password(password), seal_for_notifier(password, notifier_public_key)
    )


class InvalidCredentials(Exception):
    """Wrong password (or, at the edge, an unknown email): the same answer for both."""


class TemporaryPasswordExpired(Exception):
    pass


class CurrentPasswordIncorrect(Exception):
    pass


class AccountNotFound(Exception):
    pass


class Accounts(Application[uuid.UUID]):
    name = "Accounts"

    def register(self, **fields: Any) -> bool:
        """Create the account; False when it already exists (a redelivered UserRegistered)."""
        try:
            self.save(Account(**fields))
        except IntegrityError:
            return False
        return True

    def account(self, account_id: uuid.UUID) -> Account:
        try:
            account: Account = self.repository.get(account_id)
        except AggregateNotFoundError as error:
            raise AccountNotFound(account_id) from error
        return account

    def attempt_log_in(
        self,
        account_id: uuid.UUID,
        password: str,
        now: datetime,
        policy: LockoutPolicy,
        loaded: Account | None = None,
    ) -> LoggedIn | Blocked:
        """The current password, or else the temporary one a reset mailed. A failed attempt
        always costs two verifications (the second against a throw-away hash when no reset is
        pending; `spend_failed_log_in_time` for an unknown address), so neither an account nor a
        pending reset shows in the timing. A log-in with the current password pays one.
        `loaded`: the account as the caller already read it (identity.lookup's `load`, on the
        event loop); a save that conflicts reads it again from the repository."""
        first = [loaded] if loaded is not None else []

        def attempt() -> LoggedIn | Blocked:
            account = first.pop() if first else self.account(account_id)
            blocked_until = account.blocked_until(now, policy)
            if blocked_until is not None:
                return Blocked(blocked_until, account.failures.locked(now))
            if verify_password(account.password_hash, password):
                if account.temporary_password_expired(now):
                    raise TemporaryPasswordExpired
                account.record_successful_log_in()
            elif _is_reset_password(account, password):
                if account.reset_expired(now):
                    raise TemporaryPasswordExpired
                account.use_temporary_password(now)
            else:
                self._record_failure(account, now, policy)
                raise InvalidCredentials
            self._save_if_changed(account)
            return LoggedIn(account)

        return _retrying_conflicts(attempt)

    def attempt_passkey_log_in(
        self, account_id: uuid.UUID, now: datetime, policy: LockoutPolicy
    ) -> LoggedIn | Blocked:
        """A verified passkey stands for the password, and the password's rules still hold: a
        locked or throttled account stays out, an expired temporary password is refused, and a
        pending forced change still yields only the password-change scope."""

        def attempt() -> LoggedIn | Blocked:
            account = self.account(account_id)
            blocked_until = account.blocked_until(now, policy)
            if blocked_until is not None:
                return Blocked(blocked_until, account.failures.locked(now))
            if account.temporary_password_expired(now):
                raise TemporaryPasswordExpired
            account.record_successful_log_in()
            self._save_if_changed(account)
            return LoggedIn(account)

        return _retrying_conflicts(attempt)

    def record_passkey_change(
        self, account_id: uuid.UUID, name: str, at: datetime, change: PasskeyChange
    ) -> None:
        """The event the security notice leaves from (identity.integration)."""

        def record() -> None:
            account = self.account(account_id)
            recorders = {
                "added": account.record_passkey_added,
                "removed": account.record_passkey_removed,
                "disabled": account.record_passkey_disabled,
            }
            recorders[change](name=name, at=at)
            self.save(account)

        _retrying_conflicts(record)

    def record_sign_in_from_new_device(
        self, account_id: uuid.UUID, device: Device, at: datetime
    ) -> None:
        """The event the new-device notice leaves from (identity.integration)."""

        def record() -> None:
            account = self.account(account_id)
            account.record_sign_in_from_new_device(
                browser=device.browser, platform=device.platform, at=at
            )
            self.save(account)

        _retrying_conflicts(record)

    def _save_if_changed(self, account: Account) -> None:
        """A log-in with nothing to record (no failures to clear: most of them) saves nothing.
        eventsourcing's save of no events still opened a transaction, a BEGIN and a COMMIT on
        PostgreSQL for every log-in (issue 19); a save with events checks the version as before."""
        if account.pending_events:
            self.save(account)

    def _record_failure(self, account: Account, now: datetime, policy: LockoutPolicy) -> None:
        locked_before = account.failures.locked_until
        account.record_failed_log_in(now, policy)
        self.save(account)
        if account.failures.locked_until not in (None, locked_before):
            ACCOUNTS_LOCKED.inc()

    def change_password(self, account_id: uuid.UUID, current: str, new: str) -> Account:
        def change() -> Account:
            account = self.account(account_id)
            if not verify_password(account.password_hash, current):
                raise CurrentPasswordIncorrect
            refusal = refuse_password(new, email=account.email, current=current)
            if refusal is not None:
                raise PasswordRefused(refusal)
            account.change_password(hash_password(new))
            self.save(account)
            return account

        return _retrying_conflicts(change)

    def reset_password(
        self,
        account_id: uuid.UUID,
        prepared: PreparedTemporaryPassword,
        now: datetime,
        valid_for: timedelta,
        min_interval: timedelta,
    ) -> bool:
        """Issue the prepared temporary password beside the current one; False for staff or if
        one was issued too recently (the customer is told the same either way)."""

        def reset() -> bool:
            account = self.account(account_id)
            if account.is_staff or not account.may_reset_password(now, min_interval):
                return False
            account.issue_temporary_password(
                password_hash=prepared.password_hash,
                sealed_password=prepared.sealed,
                expires_at=now + valid_for,
                at=now,
            )
            self.save(account)
            return True

        return _retrying_conflicts(reset)


def _is_reset_password(account: Account, password: str) -> bool:
    if account.reset_password_hash is None:
        spend_equal_time(password)
        return False
    return verify_password(account.reset_password_hash, password)


def spend_failed_log_in_time(password: str) -> None:
    """What a failed log-in on an account costs (`attempt_log_in`: its password, then its pending
    reset's or a throw-away hash), spent for an address with no account."""
    spend_equal_time(password)
    spend_equal_time(password)


def _retrying_conflicts(command: Callable[[], T], attempts: int = 3) -> T:
    """Two log-ins on one account at once: the later save conflicts on the version; reload and
    decide again on the fresh state."""
    for attempt in range(attempts):
        try:
            return command()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
