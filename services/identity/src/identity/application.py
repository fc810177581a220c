"""The commands customers, staff and other services cause on accounts. Synchronous (eventsourcing
and argon2 are): the async adapters call these through asyncio.to_thread, where the ~20 ms of
argon2id per log-in spends a worker thread, not the event loop."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from prometheus_client import Counter

from claims_shared.passwords import (
    PasswordRefused,
    hash_password,
    refuse_password,
    seal_for_notifier,
    temporary_password,
    verify_password,
)
from claims_shared.throttle import LockoutPolicy
from identity.domain import Account

T = TypeVar("T")

ACCOUNTS_LOCKED = Counter("identity_accounts_locked_total", "Accounts locked after failed log-ins")


@dataclass(frozen=True)
class LoggedIn:
    account: Account


@dataclass(frozen=True)
class Blocked:
    until: datetime


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
        self, account_id: uuid.UUID, password: str, now: datetime, policy: LockoutPolicy
    ) -> LoggedIn | Blocked:
        def attempt() -> LoggedIn | Blocked:
            account = self.account(account_id)
            blocked_until = account.blocked_until(now, policy)
            if blocked_until is not None:
                return Blocked(blocked_until)
            if not verify_password(account.password_hash, password):
                locked_before = account.failures.locked_until
                account.record_failed_log_in(now, policy)
                self.save(account)
                if account.failures.locked_until not in (None, locked_before):
                    ACCOUNTS_LOCKED.inc()
                raise InvalidCredentials
            if account.temporary_password_expired(now):
                raise TemporaryPasswordExpired
            account.record_successful_log_in()
            self.save(account)
            return LoggedIn(account)

        return _retrying_conflicts(attempt)

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
        now: datetime,
        valid_for: timedelta,
        min_interval: timedelta,
        notifier_public_key: str,
    ) -> bool:
        """Issue a temporary password, sealed for the notifier; False if one was issued too
        recently (the customer is told the same either way)."""

        def reset() -> bool:
            account = self.account(account_id)
            if account.is_staff or not account.may_reset_password(now, min_interval):
                return False
            password = temporary_password()
            account.issue_temporary_password(
                password_hash=hash_password(password),
                sealed_password=seal_for_notifier(password, notifier_public_key),
                expires_at=now + valid_for,
                at=now,
            )
            self.save(account)
            return True

        return _retrying_conflicts(reset)


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
