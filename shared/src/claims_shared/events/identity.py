"""identity.events, keyed by customer id (staff accounts: by user id)."""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime

from claims_shared.events import topics
from claims_shared.events.envelope import EventData
from claims_shared.events.registration import Language


class AccountEvent(EventData):
    """What every identity.events event says first: whose account (user, customer, email)."""

    topic = topics.IDENTITY_EVENTS

    user_id: UUID
    customer_id: str
    email: str


class PasswordChanged(AccountEvent):
    event_type = "PasswordChanged"

    language: Language = "ja"


class TemporaryPasswordIssued(AccountEvent):
    """After a password reset: the new temporary password, sealed for the notifier only."""

    event_type = "TemporaryPasswordIssued"

    sealed_temporary_password: str
    expires_at: AwareDatetime
    language: Language = "ja"


class AccountLocked(AccountEvent):
    event_type = "AccountLocked"

    locked_until: AwareDatetime
    failed_attempts: int
    language: Language = "ja"


class SignedInFromNewDevice(AccountEvent):
    """A log-in from a browser or app the account had not used before. `device` is worded from
    the User-Agent ("Chrome on Android"), never an address or a place; `at` is the log-in's
    time. The first log-in an account ever makes is not told (the customer just registered)."""

    event_type = "SignedInFromNewDevice"

    device: str
    at: AwareDatetime
    language: Language = "ja"


class PasskeyEvent(AccountEvent):
    """A passkey added to, removed from or disabled on an account: the security notice names
    it, so a customer who did not do it recognises which one and calls the insurer."""

    name: str
    at: AwareDatetime
    language: Language = "ja"


class PasskeyAdded(PasskeyEvent):
    event_type = "PasskeyAdded"


class PasskeyRemoved(PasskeyEvent):
    event_type = "PasskeyRemoved"


class PasskeyDisabled(PasskeyEvent):
    """Found cloned at a sign-in (its sign count went backwards) and disabled by identity: the
    notice says so without a link, with the desk to call."""

    event_type = "PasskeyDisabled"
