"""Every v1 event type, and the one way to encode and decode a Kafka message value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from claims_shared.events.claims import AdjusterUpdate, ClaimStatusChanged
from claims_shared.events.envelope import Envelope, EventData
from claims_shared.events.identity import AccountLocked, PasswordChanged, TemporaryPasswordIssued
from claims_shared.events.policy import PolicyRecorded
from claims_shared.events.registration import RegistrationRejected, UserRegistered

EVENT_TYPES: dict[tuple[str, int], type[EventData]] = {
    (cls.event_type, cls.schema_version): cls
    for cls in (
        PolicyRecorded,
        UserRegistered,
        RegistrationRejected,
        PasswordChanged,
        TemporaryPasswordIssued,
        AccountLocked,
        AdjusterUpdate,
        ClaimStatusChanged,
    )
}


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
    return Envelope[Any](
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
    raw = Envelope[Any].model_validate_json(value)
    data_type = EVENT_TYPES.get((raw.event_type, raw.schema_version))
    if data_type is None:
        raise UnknownEventType(f"unknown event {raw.event_type} v{raw.schema_version}")
    # One JSON parse: the envelope is checked above, only its data is validated again here.
    return raw.model_copy(update={"data": data_type.model_validate(raw.data)})


__all__ = ["EVENT_TYPES", "UnknownEventType", "ValidationError", "decode", "encode", "new_envelope"]
