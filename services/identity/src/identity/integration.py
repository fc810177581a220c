"""Between identity and the other services: UserRegistered in, identity.events out."""

from __future__ import annotations

import asyncio
from typing import Any

from eventsourcing.domain import DomainEventProtocol

from claims_shared.events import (
    AccountLocked,
    Envelope,
    EventData,
    PasskeyAdded,
    PasskeyDisabled,
    PasskeyRemoved,
    PasswordChanged,
    SignedInFromNewDevice,
    TemporaryPasswordIssued,
    UserRegistered,
)
from claims_shared.kafka import EventRoutes
from claims_shared.logging import get_logger
from identity.application import Accounts
from identity.devices import Device
from identity.domain import Account

log = get_logger(__name__)


def registration_routes(accounts: Accounts) -> EventRoutes:
    """The registration events consumer's dispatch table: an account for each UserRegistered
    (a RegistrationRejected leaves identity nothing to do, and is skipped)."""

    async def create_account_for(
        registered: UserRegistered, envelope: Envelope[UserRegistered]
    ) -> None:
        """A redelivered event finds the account already there (its id is the user id)."""
        created = await asyncio.to_thread(
            accounts.register,
            user_id=registered.user_id,
            email=registered.email,
            customer_id=registered.customer_id,
            policy_numbers=registered.policy_numbers,
            password_hash=registered.password_hash,
            must_change_password=registered.must_change_password,
            temporary_password_expires_at=registered.temporary_password_expires_at,
            language=registered.language,
            roles=[],
        )
        log.info(
            "account created" if created else "account already existed",
            user_id=str(registered.user_id),
            event_id=str(envelope.event_id),
        )

    return EventRoutes().on(UserRegistered, create_account_for)


_PASSKEY_EVENTS: dict[type[Any], type[PasskeyAdded | PasskeyRemoved | PasskeyDisabled]] = {
    Account.PasskeyAdded: PasskeyAdded,
    Account.PasskeyRemoved: PasskeyRemoved,
    Account.PasskeyDisabled: PasskeyDisabled,
}
_LEAVING: tuple[type[Any], ...] = (
    Account.PasswordChanged,
    Account.TemporaryPasswordIssued,
    Account.Locked,
    Account.SignedInFromNewDevice,
    *_PASSKEY_EVENTS,
)


def _worded(signed_in: Any, language: str) -> str:
    """The device in the customer's language: 「Android の Chrome」, "Chrome on Android"."""
    return Device(signed_in.browser, signed_in.platform).worded(language)


def translate(accounts: Accounts) -> Any:
    """Domain events that leave as identity.events; staff accounts' stay inside."""

    def to_integration(domain_event: DomainEventProtocol[Any]) -> list[tuple[str, EventData]]:
        if not isinstance(domain_event, _LEAVING):
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
        if isinstance(domain_event, Account.SignedInFromNewDevice):
            data = SignedInFromNewDevice.model_validate(
                {**common, "device": _worded(domain_event, account.language), "at": domain_event.at}
            )
        elif isinstance(domain_event, Account.PasswordChanged):
            data = PasswordChanged.model_validate(common)
        elif isinstance(domain_event, Account.TemporaryPasswordIssued):
            data = TemporaryPasswordIssued.model_validate(
                {
                    **common,
                    "sealed_temporary_password": domain_event.sealed_password,
                    "expires_at": domain_event.expires_at,
                }
            )
        elif isinstance(
            domain_event, (Account.PasskeyAdded, Account.PasskeyRemoved, Account.PasskeyDisabled)
        ):
            data = _PASSKEY_EVENTS[type(domain_event)].model_validate(
                {**common, "name": domain_event.name, "at": domain_event.at}
            )
        elif isinstance(domain_event, Account.Locked):
            data = AccountLocked.model_validate(
                {
                    **common,
                    "locked_until": domain_event.until,
                    "failed_attempts": domain_event.failures,
                }
            )
        return [(account.customer_id, data)]

    return to_integration
