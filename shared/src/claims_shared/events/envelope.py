"""The envelope every Kafka message carries: `{event_id, event_type, schema_version, occurred_at,
producer, correlation_id, data}`. Consumers deduplicate on event_id."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StrictInt

from claims_shared.events.fields import IsoDateTime, Label


class EventData(BaseModel):
    """The data of one integration event type; subclasses name their type, version and topic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]


D = TypeVar("D", bound=EventData)


class Envelope(BaseModel, Generic[D]):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: str
    schema_version: StrictInt  # `true` is not version 1
    occurred_at: IsoDateTime
    producer: Label
    correlation_id: Label | None = None
    data: D
