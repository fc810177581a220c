"""Integration events (v1) exchanged over Kafka: the envelope, the topics and every event's data.

These are contracts with other services and other systems: change them only compatibly (add an
optional field), or add a new schema_version. The golden samples in shared/tests/golden fail CI
when a change would break a consumer.
"""

from claims_shared.events import topics
from claims_shared.events.catalogue import (
    EVENT_TYPES,
    UnknownEventType,
    decode,
    encode,
    new_envelope,
)
from claims_shared.events.claims import AdjusterUpdate, ClaimStatusChanged
from claims_shared.events.envelope import Envelope, EventData
from claims_shared.events.identity import (
    AccountLocked,
    PasskeyAdded,
    PasskeyDisabled,
    PasskeyRemoved,
    PasswordChanged,
    SignedInFromNewDevice,
    TemporaryPasswordIssued,
)
from claims_shared.events.policy import PolicyRecorded
from claims_shared.events.registration import RegistrationRejected, UserRegistered
from claims_shared.events.submissions import CustomerMessagePosted, DocumentSubmitted

__all__ = [
    "EVENT_TYPES",
    "AccountLocked",
    "AdjusterUpdate",
    "ClaimStatusChanged",
    "CustomerMessagePosted",
    "DocumentSubmitted",
    "Envelope",
    "EventData",
    "PasskeyAdded",
    "PasskeyDisabled",
    "PasskeyRemoved",
    "PasswordChanged",
    "PolicyRecorded",
    "RegistrationRejected",
    "SignedInFromNewDevice",
    "TemporaryPasswordIssued",
    "UnknownEventType",
    "UserRegistered",
    "decode",
    "encode",
    "new_envelope",
    "topics",
]
