"""registration.events, keyed by customer id."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime

from claims_shared.events import topics
from claims_shared.events.envelope import EventData

Language = Literal["ja", "en"]


class UserRegistered(EventData):
    """A customer may now have an account. The password travels only as an argon2id hash; a
    temporary password the notifier must mail travels sealed to the notifier's public key."""

    event_type = "UserRegistered"
    topic = topics.REGISTRATION_EVENTS

    user_id: UUID
    customer_id: str
    email: str
    policy_numbers: list[str]
    password_hash: str
    must_change_password: bool
    registration_method: Literal["procedure_code", "details"]
    sealed_temporary_password: str | None = None
    temporary_password_expires_at: AwareDatetime | None = None
    language: Language = "ja"


class RegistrationRejected(EventData):
    """For operations: why a new registration did not match. No name, birth date or email."""

    event_type = "RegistrationRejected"
    topic = topics.REGISTRATION_EVENTS

    registration_id: UUID
    registration_method: Literal["procedure_code", "details"]
    reason: Literal[
        "no_matching_policy",
        "details_mismatch",
        "contract_not_eligible",
        "already_registered",
        "email_taken",
    ]
