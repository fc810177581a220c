"""claims.status-events out of the Claim's events (through the outbox relay), keyed by claim id."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol

from claim_status.domain import Claim
from claims_shared.events import ClaimStatusChanged, EventData

QUIET = frozenset({"note_added"})  # internal notes reach the timeline, not the mailbox


def translate(domain_event: DomainEventProtocol[Any]) -> list[tuple[str, EventData]]:
    if not isinstance(domain_event, Claim.UpdateApplied) or domain_event.kind in QUIET:
        return []
    return [
        (
            domain_event.claim_id,
            ClaimStatusChanged(
                claim_id=domain_event.claim_id,
                customer_id=domain_event.customer_id,
                change=domain_event.kind,
                stage=domain_event.stage,
                sequence=domain_event.sequence,
            ),
        )
    ]
