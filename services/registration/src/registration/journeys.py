"""The two registration journeys of the customer guide, as the API runs them: find the policy,
throttle guessing, verify, then call the synchronous commands in a worker thread."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from prometheus_client import Counter

from claims_shared.passwords import (
    hash_password,
    seal_for_notifier,
    spend_equal_time,
    temporary_password,
    verify_password,
)
from claims_shared.throttle import FailureRecords, LockoutPolicy, TooManyAttempts
from registration.application import (
    AlreadyRegistered,
    EmailTaken,
    RegistrationNotFound,
    Registrations,
)
from registration.domain import Policy, Registration
from registration.typing_rules import policy_number


class VerificationFailed(Exception):
    """Unknown policy number or wrong procedure code: one answer for both."""


class ContractNotEligible(Exception):
    pass


class ProcedureCodeUnavailable(Exception):
    pass


class RegistrationTokenInvalid(Exception):
    pass


# The registration funnel for operations: each journey's steps and refusals, by reason.
OUTCOMES = Counter(
    "registration_outcomes_total",
    "Registration steps by journey (procedure_code, details) and outcome",
    ["journey", "outcome"],
)
REFUSED: dict[type[Exception], str] = {
    TooManyAttempts: "throttled",
    VerificationFailed: "verification_failed",
    ContractNotEligible: "contract_not_eligible",
    ProcedureCodeUnavailable: "procedure_code_unavailable",
    AlreadyRegistered: "already_registered",
    EmailTaken: "email_taken",
}


@dataclass(frozen=True)
class Started:
    registration_id: uuid.UUID
    registration_token: str
    expires_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PolicyBook(Protocol):
    """The policy eligibility view (registration.policies.PolicyTable in PostgreSQL)."""

    async def find(self, number: str) -> Policy | None: ...


@dataclass
class RegistrationService:
    registrations: Registrations
    policies: PolicyBook
    failures: FailureRecords
    code_policy: LockoutPolicy
    token_lifetime: timedelta
    temporary_password_lifetime: timedelta
    notifier_public_key: str

    async def start_with_procedure_code(
        self, typed_policy: str, code: str, now: datetime, language: str
    ) -> Started:
        try:
            started = await self._start_with_procedure_code(typed_policy, code, now, language)
        except tuple(REFUSED) as error:
            OUTCOMES.labels("procedure_code", REFUSED[type(error)]).inc()
            raise
        OUTCOMES.labels("procedure_code", "started").inc()
        return started

    async def _start_with_procedure_code(
        self, typed_policy: str, code: str, now: datetime, language: str
    ) -> Started:
        """簡単登録, step one. The order of checks follows the guide: group contracts and
        unusable (`*****`, used, expired) codes are told so; a wrong code counts toward the
        throttle of that policy number."""
        number = policy_number(typed_policy)
        subject = f"procedure-code:{number}"
        record = await self.failures.load(subject)
        if (until := record.blocked_until(now, self.code_policy)) is not None:
            raise TooManyAttempts(until)
        policy = await self.policies.find(number)
        if policy is not None and policy.contract_type != "individual":
            raise ContractNotEligible
        if policy is not None and not policy.code_usable(now.date()):
            raise ProcedureCodeUnavailable
        if policy is None or not await asyncio.to_thread(_code_matches, policy, code):
            await self.failures.save(subject, record.after_failure(now, self.code_policy))
            raise VerificationFailed
        if await asyncio.to_thread(self.registrations.policy_registered, number):
            raise AlreadyRegistered(number)
        await self.failures.clear(subject)
        token = secrets.token_urlsafe(32)
        expires_at = now + self.token_lifetime
        registration_id = await asyncio.to_thread(
            self.registrations.start_with_procedure_code,
            policy,
            token_digest(token),
            expires_at,
            language,
        )
        return Started(registration_id, token, expires_at)

    async def set_account(
        self, registration_id: uuid.UUID, token: str, email: str, password: str, now: datetime
    ) -> uuid.UUID:
        """簡単登録, step two: the email becomes the user ID."""
        registration = await asyncio.to_thread(self._registration, registration_id)
        if registration is None or not registration.token_valid(token_digest(token), now):
            raise RegistrationTokenInvalid
        try:
            user_id = await asyncio.to_thread(
                self.registrations.set_account, registration, email, password
            )
        except (EmailTaken, AlreadyRegistered) as error:
            OUTCOMES.labels("procedure_code", REFUSED[type(error)]).inc()
            raise
        OUTCOMES.labels("procedure_code", "registered").inc()
        return user_id

    def _registration(self, registration_id: uuid.UUID) -> Registration | None:
        try:
            return self.registrations.registration(registration_id)
        except RegistrationNotFound:
            return None

    async def register_with_details(
        self,
        full_name: str,
        born: date,
        typed_policy: str,
        email: str,
        now: datetime,
        language: str,
    ) -> None:
        """新規登録. The caller answers 202 whatever happens here, and a match costs about
        what a mismatch does, so neither the answer nor its timing tells who is insured."""
        number = policy_number(typed_policy)
        subject = f"details:{number}"
        record = await self.failures.load(subject)
        if record.blocked_until(now, self.code_policy) is not None:
            await asyncio.to_thread(spend_equal_time, full_name)
            OUTCOMES.labels("details", "throttled").inc()
            return
        policy = await self.policies.find(number)
        reason = await asyncio.to_thread(self._refusal, policy, full_name, born, email)
        if reason is not None:
            await asyncio.to_thread(spend_equal_time, full_name)
            if reason in ("no_matching_policy", "details_mismatch"):
                await self.failures.save(subject, record.after_failure(now, self.code_policy))
            await asyncio.to_thread(self.registrations.reject, "details", number, reason)
            OUTCOMES.labels("details", reason).inc()
            return
        assert policy is not None
        password = temporary_password()
        try:
            await asyncio.to_thread(
                self.registrations.register_with_temporary_password,
                policy,
                email,
                language,
                hash_password(password),
                seal_for_notifier(password, self.notifier_public_key),
                now + self.temporary_password_lifetime,
            )
        except (EmailTaken, AlreadyRegistered):  # lost a race with another registration
            await asyncio.to_thread(
                self.registrations.reject, "details", number, "already_registered"
            )
            OUTCOMES.labels("details", "already_registered").inc()
            return
        OUTCOMES.labels("details", "registered").inc()

    def _refusal(self, policy: Policy | None, full_name: str, born: date, email: str) -> str | None:
        if policy is None:
            return "no_matching_policy"
        if not policy.holder_is(full_name, born):
            return "details_mismatch"
        if policy.contract_type != "individual":
            return "contract_not_eligible"
        if self.registrations.policy_registered(policy.policy_number):
            return "already_registered"
        if self.registrations.email_registered(email):
            return "email_taken"
        return None


def _code_matches(policy: Policy, code: str) -> bool:
    assert policy.code_hash is not None
    return verify_password(policy.code_hash, code.strip())
