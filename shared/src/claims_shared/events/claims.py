"""claims.adjuster-updates (inbound, keyed by claim id) and claims.status-events."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from claims_shared.events import topics
from claims_shared.events.envelope import EventData

UpdateType = Literal[
    "claim_opened",
    "handler_assigned",
    "stage_changed",
    "coverage_updated",
    "customer_action_requested",
    "customer_action_completed",
    "payment_scheduled",
    "payment_made",
    "claim_closed",
    "claim_reopened",
    "note_added",
]
StageCode = Literal[
    "reported",
    "handler_assigned",
    "investigating",
    "negotiating",
    "payment_processing",
    "paid",
    "closed",
]


class AdjusterUpdate(EventData):
    """One change an adjuster made to a claim; `sequence` counts from 1 per claim. The shape of
    `data` depends on `type` and is checked by the Claim aggregate, not here."""

    event_type = "AdjusterUpdate"
    topic = topics.ADJUSTER_UPDATES

    update_id: UUID
    claim_id: str
    sequence: int = Field(ge=1)
    occurred_at: AwareDatetime
    adjuster_id: str
    type: UpdateType
    data: dict[str, Any] = Field(default_factory=dict)


class ClaimStatusChanged(EventData):
    """A change the customer should hear of. Carries no claim details: the mail only says
    'log in to see it'."""

    event_type = "ClaimStatusChanged"
    topic = topics.CLAIM_STATUS_EVENTS

    claim_id: str
    customer_id: str
    change: UpdateType
    stage: StageCode
    sequence: int
