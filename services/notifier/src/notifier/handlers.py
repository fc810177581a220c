"""What each event means for the customer's mailbox. Handlers are chosen by event type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import ConsumerRecord
from nacl.exceptions import CryptoError

from claims_shared.events import (
    AccountLocked,
    ClaimStatusChanged,
    Envelope,
    PasswordChanged,
    TemporaryPasswordIssued,
    UserRegistered,
    decode,
)
from claims_shared.idempotency import apply_once
from claims_shared.kafka import UnprocessableMessage
from claims_shared.passwords import open_sealed
from notifier.mails import Mail, compose, one_mailbox
from notifier.notices import schedule_notice
from notifier.sending import MailSender

# Changes worth a mail; the rest (coverage details, a received document) wait for the next visit.
MAILED_CHANGES = frozenset(
    {
        "claim_opened",
        "handler_assigned",
        "stage_changed",
        "customer_action_requested",
        "payment_scheduled",
        "payment_made",
        "claim_closed",
        "claim_reopened",
    }
)


@dataclass
class Notifications:
    pool: asyncpg.Pool
    sender: MailSender
    sealing_private_key: str
    web_url: str
    previous_sealing_private_keys: tuple[str, ...] = ()
    contact_desk: str = ""
    status_mail_window_seconds: float = 60.0

    async def handle(self, record: ConsumerRecord) -> None:
        envelope = decode(record.value)
        handler = self._handlers().get(type(envelope.data))
        if handler is None:
            return
        mail = await handler(envelope)
        if mail is not None:
            await self.sender.send_once(str(envelope.event_id), mail)

    def _handlers(self) -> dict[type, Callable[[Envelope[Any]], Awaitable[Mail | None]]]:
        return {
            UserRegistered: self._user_registered,
            TemporaryPasswordIssued: self._temporary_password_issued,
            PasswordChanged: self._password_changed,
            AccountLocked: self._account_locked,
            ClaimStatusChanged: self._claim_status_changed,
        }

    def _unseal(self, sealed: str) -> str:
        """With the current key, or (during a key rotation) one of the previous ones: passwords
        sealed before identity and registration switched keys are still in flight."""
        for key in (self.sealing_private_key, *self.previous_sealing_private_keys):
            try:
                return open_sealed(sealed, key)
            except (CryptoError, ValueError):
                continue
        raise UnprocessableMessage("the temporary password does not open with our keys")

    async def _user_registered(self, envelope: Envelope[UserRegistered]) -> Mail:
        """Both journeys mail: the temporary password, or (simple registration with the
        postcard's procedure code, 簡単登録) that registration is complete, so a postcard's owner
        who did not register hears of it. An address that is not one mailbox is not recorded:
        no later mail could go to it."""
        data = envelope.data
        one_mailbox(data.email)
        await self.pool.execute(
            "INSERT INTO customers VALUES ($1, $2, $3) ON CONFLICT (customer_id) "
            "DO UPDATE SET email = $2, language = $3",
            data.customer_id,
            data.email,
            data.language,
        )
        if data.sealed_temporary_password is None:
            return self._compose(
                "registration_complete",
                data.language,
                data.email,
                occurred_at=envelope.occurred_at,
            )
        return self._compose(
            "temporary_password",
            data.language,
            data.email,
            password=self._unseal(data.sealed_temporary_password),
            expires_at=data.temporary_password_expires_at,
        )

    async def _temporary_password_issued(self, envelope: Envelope[TemporaryPasswordIssued]) -> Mail:
        data = envelope.data
        return self._compose(
            "password_reset",
            data.language,
            data.email,
            password=self._unseal(data.sealed_temporary_password),
            expires_at=data.expires_at,
        )

    async def _password_changed(self, envelope: Envelope[PasswordChanged]) -> Mail:
        data = envelope.data
        return self._compose(
            "password_changed",
            data.language,
            data.email,
            occurred_at=envelope.occurred_at,
        )

    async def _account_locked(self, envelope: Envelope[AccountLocked]) -> Mail:
        data = envelope.data
        return self._compose(
            "account_locked",
            data.language,
            data.email,
            locked_until=data.locked_until,
        )

    def _compose(self, kind: str, language: str, to: str, **context: Any) -> Mail:
        """Every mail knows the web address and whom to call; each template uses what it needs."""
        return compose(
            kind, language, to, web_url=self.web_url, contact=self.contact_desk, **context
        )

    async def _claim_status_changed(self, envelope: Envelope[ClaimStatusChanged]) -> None:
        """Schedules the claim's notice (notifier.notices), recorded with the event id: the
        sweeper mails it, one per claim per burst. No claim details in the mail: it links to
        the accident's page, to be seen after logging in."""
        data = envelope.data
        if data.change not in MAILED_CHANGES:
            return
        row = await self.pool.fetchrow(
            "SELECT email FROM customers WHERE customer_id = $1", data.customer_id
        )
        if row is None:
            return  # the policyholder has no account to log in to
        one_mailbox(row["email"])  # recorded before the notifier checked addresses

        async def schedule(conn: asyncpg.Connection) -> None:
            await schedule_notice(
                conn, data.claim_id, data.customer_id, self.status_mail_window_seconds
            )

        await apply_once(self.pool, "notifier", str(envelope.event_id), schedule)
