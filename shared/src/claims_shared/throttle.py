"""Throttling and locking out repeated failures (log-ins, procedure codes): the pure rule, and a
small PostgreSQL store for subjects that have no aggregate of their own (an unknown email, a
policy number being guessed at)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

import asyncpg


@dataclass(frozen=True)
class LockoutPolicy:
    """After `throttle_after` failures each further attempt must wait, doubling from
    `first_delay` up to `max_delay`; at `lock_after` failures the account is locked for
    `lock_for`. Settings; see identity.settings."""

    throttle_after: int = 5
    lock_after: int = 10
    lock_for: timedelta = timedelta(minutes=30)
    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class FailureRecord:
    """Consecutive failed log-ins; shared by accounts and by unknown emails, which must be
    throttled alike so that a 429 never tells an attacker an account exists."""

    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None

    def blocked_until(self, now: datetime, policy: LockoutPolicy) -> datetime | None:
        if self.locked_until is not None and now < self.locked_until:
            return self.locked_until
        if self.last_failure_at is None or self.failures < policy.throttle_after:
            return None
        if self.locked_until is not None:  # the lock has run out: a fresh start
            return None
        delay = min(
            policy.first_delay * 2 ** (self.failures - policy.throttle_after), policy.max_delay
        )
        until = self.last_failure_at + delay
        return until if now < until else None

    def locked(self, now: datetime) -> bool:
        """Locked (not only throttled) at `now`."""
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime, policy: LockoutPolicy) -> FailureRecord:
        current = self if self.locked_until is None or now < self.locked_until else FailureRecord()
        failures = current.failures + 1
        locked_until = now + policy.lock_for if failures >= policy.lock_after else None
        return replace(current, failures=failures, last_failure_at=now, locked_until=locked_until)


class RefusedUntil(Exception):
    """Refused until `until` (a 429 with Retry-After); subclasses name the `reason`."""

    reason: ClassVar[str]

    def __init__(self, until: datetime) -> None:
        super().__init__(self.reason)
        self.until = until

    def retry_after(self, now: datetime) -> int:
        """Whole seconds for the Retry-After header, at least one."""
        return max(1, math.ceil((self.until - now).total_seconds()))


class TooManyAttempts(RefusedUntil):
    """Refused without looking at the credential: blocked until `until`."""

    reason = "too many attempts"


class LockedOut(TooManyAttempts):
    """Locked for the lock's whole time (`lock_after` failures), not a throttle's short wait:
    told apart, so the customer reads until when, and whom to call if it was not them."""


def refused_until(until: datetime, locked: bool) -> TooManyAttempts:
    return LockedOut(until) if locked else TooManyAttempts(until)


class FailureRecords(Protocol):
    """The port the throttled journeys (identity's log-in, registration's procedure code) need:
    one FailureRecord per subject. FailureLog keeps them in PostgreSQL; the fast tests keep them
    in a dict (claims_shared.testing.InMemoryFailureLog)."""

    async def load(self, subject: str) -> FailureRecord: ...

    async def save(self, subject: str, record: FailureRecord) -> None: ...

    async def clear(self, subject: str) -> None: ...


class FailureLog:
    """Failure records by subject ('log-in:taro@example.jp', 'procedure-code:A123'), in the
    failure_records table of the service's migrations (claims_shared.schema)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load(self, subject: str) -> FailureRecord:
        row = await self.pool.fetchrow(
            "SELECT failures, last_failure_at, locked_until FROM failure_records "
            "WHERE subject = $1",
            subject,
        )
        return FailureRecord(*row) if row else FailureRecord()

    async def save(self, subject: str, record: FailureRecord) -> None:
        await self.pool.execute(
            "INSERT INTO failure_records VALUES ($1, $2, $3, $4) ON CONFLICT (subject) "
            "DO UPDATE SET failures = $2, last_failure_at = $3, locked_until = $4",
            subject,
            record.failures,
            record.last_failure_at,
            record.locked_until,
        )

    async def clear(self, subject: str) -> None:
        await self.pool.execute("DELETE FROM failure_records WHERE subject = $1", subject)
