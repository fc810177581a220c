"""registration.events out of the Registration aggregate's events (through the outbox relay)."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import DomainEventProtocol

from claims_shared.events import EventData, RegistrationRejected, UserRegistered
from registration.domain import Registration


def translate(domain_event: DomainEventProtocol[Any]) -> list[tuple[str, EventData]]:
    if isinstance(domain_event, Registration.Completed):
        return [
            (
                domain_event.customer_id,
                UserRegistered(
                    user_id=domain_event.user_id,
                    customer_id=domain_event.customer_id,
                    email=domain_event.email,
                    policy_numbers=domain_event.policy_numbers,
                    password_hash=domain_event.password_hash,
                    must_change_password=domain_event.must_change_password,
                    registration_method=domain_event.method,  # type: ignore[arg-type]
                    sealed_temporary_password=domain_event.sealed_temporary_password,
                    temporary_password_expires_at=domain_event.temporary_password_expires_at,
                    language=domain_event.language,  # type: ignore[arg-type]
                ),
            )
        ]
    if isinstance(domain_event, Registration.Rejected):
        key = str(domain_event.originator_id)
        return [
            (
                key,
                RegistrationRejected(
                    registration_id=domain_event.originator_id,
                    registration_method=domain_event.method,  # type: ignore[arg-type]
                    reason=domain_event.reason,  # type: ignore[arg-type]
                ),
            )
        ]
    return []
