"""Who may register and how a registration goes. Pure: no I/O; times and hashes come in as
arguments.

A Registration is one attempt: by procedure code (簡単登録: started when the code is verified,
completed when the customer sets email and password) or by personal details (新規登録: matched and
completed at once with a temporary password, or rejected). An EmailClaim and a PolicyClaim are
saved in the same transaction as a completed Registration; their ids derive from the email and
the policy number, so a second account for either is refused by the event store itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from eventsourcing.domain import Aggregate, event

from registration.typing_rules import name_key

CLAIM_NAMESPACE = uuid.UUID("2f9a3d4e-5b6c-4d7e-8f90-a1b2c3d4e5f6")

UNAVAILABLE_CODE_STATES = frozenset({"masked", "used", "expired"})


@dataclass(frozen=True)
class Policy:
    """A row of the policy eligibility view (from policy.records)."""

    policy_number: str
    contract_type: str
    customer_id: str
    full_name: str
    full_name_kana: str
    date_of_birth: date
    code_state: str
    code_hash: str | None
    code_expires_on: date | None

    def code_usable(self, today: date) -> bool:
        if self.code_state in UNAVAILABLE_CODE_STATES or self.code_hash is None:
            return False
        return self.code_expires_on is None or today <= self.code_expires_on

    def holder_is(self, full_name: str, date_of_birth: date) -> bool:
        typed = name_key(full_name)
        names = {name_key(self.full_name), name_key(self.full_name_kana)}
        return typed in names and date_of_birth == self.date_of_birth


class Registration(Aggregate):
    class Started(Aggregate.Created):
        method: str
        policy_number: str
        customer_id: str
        token_hash: str | None
        token_expires_at: datetime | None
        language: str

    class Completed(Aggregate.Event):
        user_id: uuid.UUID
        email: str
        customer_id: str
        policy_numbers: list[str]
        method: str
        password_hash: str
        must_change_password: bool
        sealed_temporary_password: str | None
        temporary_password_expires_at: datetime | None
        language: str

    class Rejected(Aggregate.Event):
        method: str
        reason: str

    @event(Started)
    def __init__(
        self,
        method: str,
        policy_number: str,
        customer_id: str,
        token_hash: str | None,
        token_expires_at: datetime | None,
        language: str,
    ) -> None:
        self.method = method
        self.policy_number = policy_number
        self.customer_id = customer_id
        self.token_hash = token_hash
        self.token_expires_at = token_expires_at
        self.language = language
        self.user_id: uuid.UUID | None = None
        self.outcome: str | None = None

    def token_valid(self, token_hash: str, now: datetime) -> bool:
        return (
            self.token_hash is not None
            and token_hash == self.token_hash
            and self.token_expires_at is not None
            and now < self.token_expires_at
        )

    def complete(
        self,
        *,
        user_id: uuid.UUID,
        email: str,
        password_hash: str,
        must_change_password: bool = False,
        sealed_temporary_password: str | None = None,
        temporary_password_expires_at: datetime | None = None,
    ) -> None:
        if self.outcome is not None:
            raise RegistrationFinished(self.outcome)
        self._complete(
            user_id=user_id,
            email=email,
            customer_id=self.customer_id,
            policy_numbers=[self.policy_number],
            method=self.method,
            password_hash=password_hash,
            must_change_password=must_change_password,
            sealed_temporary_password=sealed_temporary_password,
            temporary_password_expires_at=temporary_password_expires_at,
            language=self.language,
        )

    @event(Completed)
    def _complete(
        self,
        user_id: uuid.UUID,
        email: str,
        customer_id: str,
        policy_numbers: list[str],
        method: str,
        password_hash: str,
        must_change_password: bool,
        sealed_temporary_password: str | None,
        temporary_password_expires_at: datetime | None,
        language: str,
    ) -> None:
        """The whole outcome travels in the event: the relay builds UserRegistered from it."""
        self.user_id = user_id
        self.outcome = "completed"
        self.token_hash = None

    @event(Rejected)
    def reject(self, method: str, reason: str) -> None:
        self.outcome = "rejected"


class EmailClaim(Aggregate):
    """This email is some customer's user ID."""

    @event("Claimed")
    def __init__(self, email: str, user_id: uuid.UUID) -> None:
        self.email = email
        self.user_id = user_id

    @staticmethod
    def create_id(email: str, **_: object) -> uuid.UUID:
        return email_claim_id(email)


class PolicyClaim(Aggregate):
    """This policy already has an account."""

    @event("Claimed")
    def __init__(self, policy_number: str, user_id: uuid.UUID) -> None:
        self.policy_number = policy_number
        self.user_id = user_id

    @staticmethod
    def create_id(policy_number: str, **_: object) -> uuid.UUID:
        return policy_claim_id(policy_number)


def email_claim_id(email: str) -> uuid.UUID:
    return uuid.uuid5(CLAIM_NAMESPACE, f"email:{email}")


def policy_claim_id(policy_number: str) -> uuid.UUID:
    return uuid.uuid5(CLAIM_NAMESPACE, f"policy:{policy_number}")


class RegistrationFinished(Exception):
    """The registration was already completed or rejected."""
