"""Accounts: who may log in, with what, and when they are kept out. Pure: no I/O, no clock of its
own (every time comes in as an argument), no hashing (hashes come in, verdicts go out).

An account is a customer's (customer_id set, no roles) or a staff member's (roles, no customer_id).
Its email comes in already checked and normalised (claims_shared.emails) and is kept as given.

A password reset (パスワード再発行) only adds a pending temporary password beside the current one:
anyone who knows a customer's email can ask for a reset, so asking must not take the current
password away. The current password keeps working; the temporary one becomes the password (with
the forced change) when it is used, and is dropped when it expires or the password is changed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from eventsourcing.domain import Aggregate, event

from claims_shared.throttle import FailureRecord, LockoutPolicy

STAFF_ROLES = frozenset({"adjuster", "operator"})


class Account(Aggregate):
    class Registered(Aggregate.Created):
        user_id: uuid.UUID
        email: str
        customer_id: str | None
        policy_numbers: list[str]
        password_hash: str
        must_change_password: bool
        temporary_password_expires_at: datetime | None
        language: str
        roles: list[str]

    class PasswordChanged(Aggregate.Event):
        password_hash: str

    class TemporaryPasswordIssued(Aggregate.Event):
        """A reset asked for: the temporary password waits beside the current one (events
        recorded before the reset stopped replacing the password replay the same way)."""

        password_hash: str
        sealed_password: str
        expires_at: datetime
        at: datetime

    class TemporaryPasswordUsed(Aggregate.Event):
        at: datetime

    class Locked(Aggregate.Event):
        until: datetime
        failures: int

    class SignedInFromNewDevice(Aggregate.Event):
        browser: str
        platform: str
        at: datetime

    class PasskeyAdded(Aggregate.Event):
        name: str
        at: datetime

    class PasskeyRemoved(Aggregate.Event):
        name: str
        at: datetime

    class PasskeyDisabled(Aggregate.Event):
        name: str
        at: datetime

    @event(Registered)
    def __init__(
        self,
        *,
        user_id: uuid.UUID,
        email: str,
        customer_id: str | None,
        policy_numbers: list[str],
        password_hash: str,
        must_change_password: bool,
        temporary_password_expires_at: datetime | None,
        language: str,
        roles: list[str],
    ) -> None:
        unknown_roles = set(roles) - STAFF_ROLES
        if unknown_roles:
            raise UnknownRole(sorted(unknown_roles))
        if customer_id is not None and roles:
            raise CustomerWithStaffRole(customer_id)
        self.user_id = user_id
        self.email = email
        self.customer_id = customer_id
        self.policy_numbers = list(policy_numbers)
        self.password_hash = password_hash
        self.must_change_password = must_change_password
        self.temporary_password_expires_at = temporary_password_expires_at
        self.language = language
        self.roles = sorted(roles)
        self.failures = FailureRecord()
        self.last_reset_at: datetime | None = None
        self.reset_password_hash: str | None = None
        self.reset_expires_at: datetime | None = None

    @staticmethod
    def create_id(user_id: uuid.UUID, **_: object) -> uuid.UUID:
        """The account id is the user id UserRegistered carries: a redelivered event finds the
        account already there instead of making a second one."""
        return user_id

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    def temporary_password_expired(self, now: datetime) -> bool:
        expires = self.temporary_password_expires_at
        return self.must_change_password and expires is not None and now >= expires

    def blocked_until(self, now: datetime, policy: LockoutPolicy) -> datetime | None:
        return self.failures.blocked_until(now, policy)

    def record_failed_log_in(self, now: datetime, policy: LockoutPolicy) -> None:
        after = self.failures.after_failure(now, policy)
        self._failed_log_in(at=now, failures=after.failures, locked_until=after.locked_until)
        if after.locked_until is not None:
            self._locked(until=after.locked_until, failures=after.failures)

    @event("LogInFailed")
    def _failed_log_in(self, at: datetime, failures: int, locked_until: datetime | None) -> None:
        self.failures = FailureRecord(failures, at, locked_until)

    @event(Locked)
    def _locked(self, until: datetime, failures: int) -> None:
        """Kept as an event of its own: it leaves as AccountLocked for the security notice."""

    def record_successful_log_in(self) -> None:
        if self.failures != FailureRecord():
            self._failures_cleared()

    @event("FailuresCleared")
    def _failures_cleared(self) -> None:
        self.failures = FailureRecord()

    @event(SignedInFromNewDevice)
    def record_sign_in_from_new_device(self, browser: str, platform: str, at: datetime) -> None:
        """Only the fact, for the security notice (worded in the account's language when it
        leaves): which devices are known lives in identity.known_devices' table, by hash, so the
        event store never holds a device id."""

    @event(PasswordChanged)
    def change_password(self, password_hash: str) -> None:
        """A completed change also ends a reset in progress: the customer holds a password they
        chose, so a temporary one still waiting in a mailbox is one credential too many."""
        self.password_hash = password_hash
        self.must_change_password = False
        self.temporary_password_expires_at = None
        self.failures = FailureRecord()
        self._drop_reset()

    def may_reset_password(self, now: datetime, min_interval: timedelta) -> bool:
        """One reset per interval, so the reset form cannot be used to flood a mailbox."""
        return self.last_reset_at is None or now - self.last_reset_at >= min_interval

    @event(TemporaryPasswordIssued)
    def issue_temporary_password(
        self, password_hash: str, sealed_password: str, expires_at: datetime, at: datetime
    ) -> None:
        """The sealed password is kept in the event only so the relay can hand it to the
        notifier; it opens with the notifier's private key alone. The current password, the
        forced-change flag and the failed log-ins stay as they are: an anonymous request may
        neither keep the customer out nor lift a lock-out someone is guessing against. A newer
        reset replaces an older one still pending."""
        self.reset_password_hash = password_hash
        self.reset_expires_at = expires_at
        self.last_reset_at = at

    def reset_expired(self, now: datetime) -> bool:
        """Told only to someone who gave the temporary password, as for a registration's."""
        return self.reset_expires_at is not None and now >= self.reset_expires_at

    def use_temporary_password(self, at: datetime) -> None:
        """The customer logged in with the mailed temporary password: it becomes the password,
        the old one stops working, and the forced change follows until the same expiry."""
        if self.reset_password_hash is None:
            raise NoPendingReset(self.user_id)
        self._temporary_password_used(at=at)

    @event(TemporaryPasswordUsed)
    def _temporary_password_used(self, at: datetime) -> None:
        assert self.reset_password_hash is not None  # use_temporary_password checked
        self.password_hash = self.reset_password_hash
        self.must_change_password = True
        self.temporary_password_expires_at = self.reset_expires_at
        self.failures = FailureRecord()
        self._drop_reset()

    def _drop_reset(self) -> None:
        self.reset_password_hash = None
        self.reset_expires_at = None

    @event(PasskeyAdded)
    def record_passkey_added(self, name: str, at: datetime) -> None:
        """Only the fact, for the security notice: the credential itself lives in the passkeys
        table (identity.passkey_store), whose sign count changes at every sign-in."""

    @event(PasskeyRemoved)
    def record_passkey_removed(self, name: str, at: datetime) -> None:
        """Only the fact, for the security notice (see record_passkey_added)."""

    @event(PasskeyDisabled)
    def record_passkey_disabled(self, name: str, at: datetime) -> None:
        """Found cloned at a sign-in: only the fact, for the security notice."""


class NoPendingReset(ValueError):
    pass


class UnknownRole(ValueError):
    pass


class CustomerWithStaffRole(ValueError):
    pass
