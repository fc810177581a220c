"""identity.events, keyed by customer id (staff accounts: by user id)."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from claims_shared.events import topics
from claims_shared.events.envelope import EventData
from claims_shared.events.registration import Language


class PasswordChanged(EventData):
    event_type = "PasswordChanged"
    topic = topics.IDENTITY_EVENTS

    user_id: UUID
    customer_id: str
    email: str
    language: Language = "ja"


class TemporaryPasswordIssued(EventData):
    """After a password reset: the new temporary password, sealed for the notifier only."""

    event_type = "TemporaryPasswordIssued"
    topic = topics.IDENTITY_EVENTS

    user_id: UUID
    customer_id: str
    email: str
    sealed_temporary_password: str
    expires_at: AwareDatetime
    language: Language = "ja"


class AccountLocked(EventData):
    event_type = "AccountLocked"
    topic = topics.IDENTITY_EVENTS

    user_id: UUID
    customer_id: str
    email: str
    locked_until: AwareDatetime
    failed_attempts: int
    language: Language = "ja"
