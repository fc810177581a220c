"""Between identity and the other services: UserRegistered in, identity.events out."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import ConsumerRecord
from eventsourcing.domain import DomainEventProtocol

from claims_shared.events import (
    AccountLocked,
    EventData,
    PasswordChanged,
    TemporaryPasswordIssued,
    UserRegistered,
    decode,
)
from claims_shared.logging import get_logger
from identity.application import Accounts
from identity.domain import Account

log = get_logger(__name__)


def registration_handler(accounts: Accounts) -> Any:
    """Creates the account for a UserRegistered; a redelivered event finds it already there."""

    async def handle(record: ConsumerRecord) -> None:
        envelope = decode(record.value)
        if not isinstance(envelope.data, UserRegistered):
            return
        event = envelope.data
        created = await asyncio.to_thread(
            accounts.register,
            user_id=event.user_id,
            email=event.email,
            customer_id=event.customer_id,
            policy_numbers=event.policy_numbers,
            password_hash=event.password_hash,
            must_change_password=event.must_change_password,
            temporary_password_expires_at=event.temporary_password_expires_at,
            language=event.language,
            roles=[],
        )
        log.info(
            "account created" if created else "account already existed",
            user_id=str(event.user_id),
            event_id=str(envelope.event_id),
        )

    return handle


def translate(accounts: Accounts) -> Any:
    """Domain events that leave as identity.events; staff accounts' stay inside."""

    def to_integration(domain_event: DomainEventProtocol[Any]) -> list[tuple[str, EventData]]:
        if not isinstance(
            domain_event, (Account.PasswordChanged, Account.TemporaryPasswordIssued, Account.Locked)
        ):
            return []
        account: Account = accounts.repository.get(
            domain_event.originator_id, version=domain_event.originator_version
        )
        if account.customer_id is None:
            return []
        common: dict[str, Any] = {
            "user_id": account.user_id,
            "customer_id": account.customer_id,
            "email": account.email,
            "language": account.language,
        }
        data: EventData
        if isinstance(domain_event, Account.PasswordChanged):
            data = PasswordChanged.model_validate(common)
        elif isinstance(domain_event, Account.TemporaryPasswordIssued):
            data = TemporaryPasswordIssued.model_validate(
                {
                    **common,
                    "sealed_temporary_password": domain_event.sealed_password,
                    "expires_at": domain_event.expires_at,
                }
            )
        else:
            data = AccountLocked.model_validate(
                {
                    **common,
                    "locked_until": domain_event.until,
                    "failed_attempts": domain_event.failures,
                }
            )
        return [(account.customer_id, data)]

    return to_integration
