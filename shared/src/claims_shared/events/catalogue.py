"""Every v1 event type, and the one way to encode and decode a Kafka message value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from claims_shared.events.claims import AdjusterUpdate, AnyAdjusterUpdate, ClaimStatusChanged
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

EVENT_TYPES: dict[tuple[str, int], type[EventData]] = {
    (cls.event_type, cls.schema_version): cls
    for cls in (
        PolicyRecorded,
        UserRegistered,
        RegistrationRejected,
        PasswordChanged,
        TemporaryPasswordIssued,
        AccountLocked,
        SignedInFromNewDevice,
        PasskeyAdded,
        PasskeyRemoved,
        PasskeyDisabled,
        AdjusterUpdate,
        ClaimStatusChanged,
        DocumentSubmitted,
        CustomerMessagePosted,
    )
}


# Held here: pydantic keeps parametrised models in a weak cache, and a garbage collection that
# dropped Envelope[Any] made the next use build the class again (a profile showed it per event).
AnyEnvelope = Envelope[Any]
_ENVELOPES: dict[tuple[str, int], type[Envelope[Any]]] = {
    key: Envelope[data_type]  # type: ignore[valid-type]
    for key, data_type in EVENT_TYPES.items()
}
# An adjuster update is a union on its `type`: the envelope validates it as the type it says.


class AdjusterUpdateEnvelope(Envelope[AnyAdjusterUpdate]):
    """Named, so a refusal (the reason in the DLQ) starts "1 validation error for
    AdjusterUpdateEnvelope", not with the union's fourteen class names."""


_ENVELOPES[(AdjusterUpdate.event_type, AdjusterUpdate.schema_version)] = AdjusterUpdateEnvelope


def envelope_type(event_type: str, schema_version: int) -> type[Envelope[Any]]:
    """The envelope model a message of this type and version is validated with."""
    return _ENVELOPES[(event_type, schema_version)]


class UnknownEventType(ValueError):
    """A message whose event_type/schema_version this service does not know."""


def new_envelope(
    data: EventData,
    *,
    producer: str,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    correlation_id: str | None = None,
) -> Envelope[Any]:
    return AnyEnvelope(
        event_id=event_id or uuid.uuid4(),
        event_type=data.event_type,
        schema_version=data.schema_version,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        correlation_id=correlation_id,
        data=data,
    )


def encode(envelope: Envelope[Any]) -> bytes:
    return envelope.model_dump_json().encode()


def decode(value: bytes | None) -> Envelope[Any]:
    """Parse a message value into an envelope whose data is the typed event.

    Raises ValidationError (malformed) or UnknownEventType: the consumer runner sends both to
    the DLQ, since no retry can make them processable.
    """
    if value is None:
        raise UnknownEventType("empty message value (tombstone)")
    try:
        head = orjson.loads(value)
        key = (head["event_type"], head["schema_version"])
        envelope_type = _ENVELOPES.get(key)
    except (orjson.JSONDecodeError, TypeError, KeyError):
        envelope_type = None
    if envelope_type is None:
        raw = AnyEnvelope.model_validate_json(value)  # raises ValidationError when malformed
        raise UnknownEventType(f"unknown event {raw.event_type} v{raw.schema_version}")
    # The typed envelope validates the whole message at once (a cheap look at the type first):
    # parsing as Envelope[Any], then validating and copying in the data, was a tenth of intake.
    return envelope_type.model_validate_json(value)


__all__ = ["EVENT_TYPES", "UnknownEventType", "ValidationError", "decode", "encode", "new_envelope"]
