"""The registration commands. Synchronous (eventsourcing and argon2 are): the async journeys call
them through asyncio.to_thread."""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from claims_shared.passwords import PasswordRefused, hash_password, refuse_password
from registration.domain import (
    EmailClaim,
    Policy,
    PolicyClaim,
    Registration,
    email_claim_id,
    policy_claim_id,
)


class EmailTaken(Exception):
    pass


class AlreadyRegistered(Exception):
    pass


class RegistrationNotFound(Exception):
    pass


class Registrations(Application[uuid.UUID]):
    name = "Registrations"

    def exists(self, aggregate_id: uuid.UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True

    def policy_registered(self, policy_number: str) -> bool:
        return self.exists(policy_claim_id(policy_number))

    def email_registered(self, email: str) -> bool:
        return self.exists(email_claim_id(email))

    def registration(self, registration_id: uuid.UUID) -> Registration:
        try:
            registration: Registration = self.repository.get(registration_id)
        except AggregateNotFoundError as error:
            raise RegistrationNotFound(registration_id) from error
        return registration

    def start_with_procedure_code(
        self, policy: Policy, token_hash: str, expires_at: datetime, language: str
    ) -> uuid.UUID:
        registration = _registration_for(
            policy, "procedure_code", language, token_hash=token_hash, token_expires_at=expires_at
        )
        self.save(registration)
        return registration.id

    def set_account(self, registration: Registration, email: str, password: str) -> uuid.UUID:
        """Simple registration's second step: the customer's own email and password."""
        refusal = refuse_password(password, email=email)
        if refusal is not None:
            raise PasswordRefused(refusal)
        user_id = uuid.uuid4()
        registration.complete(user_id=user_id, email=email, password_hash=hash_password(password))
        self._save_with_claims(registration, email, user_id)
        return user_id

    def register_with_temporary_password(
        self,
        policy: Policy,
        email: str,
        language: str,
        password_hash: str,
        sealed: str,
        expires_at: datetime,
    ) -> uuid.UUID:
        registration = _registration_for(policy, "details", language)
        user_id = uuid.uuid4()
        registration.complete(
            user_id=user_id,
            email=email,
            password_hash=password_hash,
            must_change_password=True,
            sealed_temporary_password=sealed,
            temporary_password_expires_at=expires_at,
        )
        self._save_with_claims(registration, email, user_id)
        return user_id

    def reject(self, method: str, policy_number: str, reason: str) -> uuid.UUID:
        """Recorded for operations; RegistrationRejected carries no personal data."""
        registration = Registration(
            method=method,
            policy_number=policy_number,
            customer_id="",
            token_hash=None,
            token_expires_at=None,
            language="ja",
        )
        registration.reject(method=method, reason=reason)
        self.save(registration)
        return registration.id

    def _save_with_claims(self, registration: Registration, email: str, user_id: uuid.UUID) -> None:
        try:
            self.save(
                registration,
                EmailClaim(email=email, user_id=user_id),
                PolicyClaim(policy_number=registration.policy_number, user_id=user_id),
            )
        except IntegrityError as error:
            if self.email_registered(email):
                raise EmailTaken(email) from error
            raise AlreadyRegistered(registration.policy_number) from error


def _registration_for(
    policy: Policy,
    method: str,
    language: str,
    token_hash: str | None = None,
    token_expires_at: datetime | None = None,
) -> Registration:
    """Both journeys start from the policy found: its number and its customer. Only the postcard's
    journey gives a registration token (the details journey completes at once)."""
    return Registration(
        method=method,
        policy_number=policy.policy_number,
        customer_id=policy.customer_id,
        token_hash=token_hash,
        token_expires_at=token_expires_at,
        language=language,
    )
