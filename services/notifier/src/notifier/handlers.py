"""What each event means for the customer's mailbox: the notifier's dispatch table and its
handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg
from nacl.exceptions import CryptoError

from claims_shared.events import (
    AccountLocked,
    ClaimStatusChanged,
    Envelope,
    PasskeyAdded,
    PasskeyDisabled,
    PasskeyRemoved,
    PasswordChanged,
    SignedInFromNewDevice,
    TemporaryPasswordIssued,
    UserRegistered,
)
from claims_shared.kafka import EventRoutes, UnprocessableMessage
from claims_shared.passwords import open_sealed
from notifier.mails import Mail, compose, one_mailbox
from notifier.preferences import NotificationPreferences, kind_of_change

_PASSKEY_MAILS: dict[type[Any], str] = {
    PasskeyAdded: "passkey_added",
    PasskeyRemoved: "passkey_removed",
    PasskeyDisabled: "passkey_disabled",
}
"""Each passkey notice's mail template."""

# Changes worth a mail, by the notice they schedule (notifier.notices); a request for action
# is a notice of its own (pushed in its own words, mailed as a status update). The rest (coverage
# details, the handler's 既読 mark on the customer's messages) wait for the next visit. A
# document's review is mailed as a status change: a "resubmit" asks the customer to act, and the
# change carries no result to tell it from "accepted".
MAILED_CHANGES = {
    "claim_opened": "claim_status_changed",
    "handler_assigned": "claim_status_changed",
    "stage_changed": "claim_status_changed",
    "customer_action_requested": "action_requested",
    "document_reviewed": "claim_status_changed",
    "payment_scheduled": "claim_status_changed",
    "payment_made": "claim_status_changed",
    "claim_closed": "claim_status_changed",
    "claim_reopened": "claim_status_changed",
    "message_to_customer": "new_message",
}


class CustomerDirectory(Protocol):
    """Where each customer's mail goes (CustomerTable: the customers table)."""

    async def remember(self, customer_id: str, email: str, language: str) -> None: ...

    async def email_of(self, customer_id: str) -> str | None: ...


class NoticeSchedule(Protocol):
    """Status notices waiting to be mailed (notifier.notices.StatusNoticeTable)."""

    async def schedule_once(
        self, event_id: str, claim_id: str, customer_id: str, window_seconds: float, kind: str
    ) -> None:
        """Schedule the claim's notice of this kind (its mail template), or join the one of that
        kind waiting; nothing if `event_id` did."""


class Mailer(Protocol):
    """notifier.sending.MailSender: one mail per event id, however often the event comes."""

    async def send_once(self, event_id: str, mail: Mail) -> bool: ...


class CustomerTable:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def remember(self, customer_id: str, email: str, language: str) -> None:
        await self.pool.execute(
            "INSERT INTO customers VALUES ($1, $2, $3) ON CONFLICT (customer_id) "
            "DO UPDATE SET email = $2, language = $3",
            customer_id,
            email,
            language,
        )

    async def email_of(self, customer_id: str) -> str | None:
        email: str | None = await self.pool.fetchval(
            "SELECT email FROM customers WHERE customer_id = $1", customer_id
        )
        return email


@dataclass
class NotificationService:
    customers: CustomerDirectory
    notices: NoticeSchedule
    sender: Mailer
    preferences: NotificationPreferences
    sealing_private_key: str
    previous_sealing_private_keys: tuple[str, ...] = ()
    contact_desk: str = ""
    status_mail_window_seconds: float = 60.0

    def routes(self) -> EventRoutes:
        """The notifier's dispatch table: what each event means for the customer's mailbox.
        Other events on these topics (a rejected registration) are skipped."""
        return (
            EventRoutes()
            .on(UserRegistered, self.send_registration_mail)
            .on(TemporaryPasswordIssued, self.send_temporary_password)
            .on(PasswordChanged, self.confirm_password_change)
            .on(AccountLocked, self.warn_of_lock_out)
            .on(SignedInFromNewDevice, self.tell_of_new_device)
            .on(PasskeyAdded, self.tell_of_passkey_change)
            .on(PasskeyRemoved, self.tell_of_passkey_change)
            .on(PasskeyDisabled, self.tell_of_passkey_change)
            .on(ClaimStatusChanged, self.schedule_status_notice)
        )

    def _unseal(self, sealed: str) -> str:
        """With the current key, or (during a key rotation) one of the previous ones: passwords
        sealed before identity and registration switched keys are still in flight."""
        for key in (self.sealing_private_key, *self.previous_sealing_private_keys):
            try:
                return open_sealed(sealed, key)
            except (CryptoError, ValueError):
                continue
        raise UnprocessableMessage("the temporary password does not open with our keys")

    async def send_registration_mail(
        self, registered: UserRegistered, envelope: Envelope[UserRegistered]
    ) -> None:
        """Both journeys mail: the temporary password, or (simple registration with the
        postcard's procedure code, 簡単登録) that registration is complete, so a postcard's owner
        who did not register hears of it. An address that is not one mailbox is not recorded:
        no later mail could go to it."""
        one_mailbox(registered.email)
        await self.customers.remember(registered.customer_id, registered.email, registered.language)
        if registered.sealed_temporary_password is None:
            mail = self._compose(
                "registration_complete",
                registered.language,
                registered.email,
                occurred_at=envelope.occurred_at,
            )
        else:
            mail = self._temporary_password_mail(
                "temporary_password",
                registered.language,
                registered.email,
                registered.sealed_temporary_password,
                registered.temporary_password_expires_at,
            )
        await self.sender.send_once(str(envelope.event_id), mail)

    async def send_temporary_password(
        self, issued: TemporaryPasswordIssued, envelope: Envelope[TemporaryPasswordIssued]
    ) -> None:
        """The password reset's temporary password (パスワード再設定)."""
        mail = self._temporary_password_mail(
            "password_reset",
            issued.language,
            issued.email,
            issued.sealed_temporary_password,
            issued.expires_at,
        )
        await self.sender.send_once(str(envelope.event_id), mail)

    async def confirm_password_change(
        self, changed: PasswordChanged, envelope: Envelope[PasswordChanged]
    ) -> None:
        mail = self._compose(
            "password_changed", changed.language, changed.email, occurred_at=envelope.occurred_at
        )
        await self.sender.send_once(str(envelope.event_id), mail)

    async def warn_of_lock_out(
        self, locked: AccountLocked, envelope: Envelope[AccountLocked]
    ) -> None:
        mail = self._compose(
            "account_locked", locked.language, locked.email, locked_until=locked.locked_until
        )
        await self.sender.send_once(str(envelope.event_id), mail)

    async def tell_of_passkey_change(
        self, changed: PasskeyAdded | PasskeyRemoved | PasskeyDisabled, envelope: Envelope[Any]
    ) -> None:
        """Always mailed, like the other security notices: a passkey someone else added is a
        way into the account that survives a password change, and one identity disabled as a
        possible copy means someone may hold its key. No link: the mail names the passkey and
        whom to call."""
        kind = _PASSKEY_MAILS[type(changed)]
        mail = self._compose(
            kind, changed.language, changed.email, name=changed.name, at=changed.at
        )
        await self.sender.send_once(str(envelope.event_id), mail)

    async def tell_of_new_device(
        self, signed_in: SignedInFromNewDevice, envelope: Envelope[SignedInFromNewDevice]
    ) -> None:
        """Always mailed, like the other security notices: the device as the User-Agent named
        it and the time in Japan time, never an address or a place; what to do if it was not
        the customer, with no link (a mail that links to a password form is what phishing
        looks like, so ours never do)."""
        mail = self._compose(
            "new_device_sign_in",
            signed_in.language,
            signed_in.email,
            device=signed_in.device,
            at=signed_in.at,
        )
        await self.sender.send_once(str(envelope.event_id), mail)

    def _temporary_password_mail(
        self, kind: str, language: str, to: str, sealed: str, expires_at: datetime | None
    ) -> Mail:
        """Registration's and the password reset's mails carry the same two things: the
        password unsealed (only the notifier holds the key) and when it expires."""
        return self._compose(
            kind, language, to, password=self._unseal(sealed), expires_at=expires_at
        )

    def _compose(self, kind: str, language: str, to: str, **context: Any) -> Mail:
        """Every mail knows whom to call; each template uses what it needs."""
        return compose(kind, language, to, contact=self.contact_desk, **context)

    async def schedule_status_notice(
        self, changed: ClaimStatusChanged, envelope: Envelope[ClaimStatusChanged]
    ) -> None:
        """Schedules the claim's notice (notifier.notices), recorded with the event id: the
        sweeper mails it, one per claim and kind per burst. No claim details in the mail, nor
        the handler's message, nor a link: it tells the customer to log in and look at the
        accident list. A change of a kind the customer chose neither mail nor push for
        (notifier.preferences) schedules nothing; the sweeper mails a notice only if its kind's
        mail is on when it is sent."""
        kind = MAILED_CHANGES.get(changed.change)
        if kind is None:
            return
        chosen = await self.preferences.channels(
            changed.customer_id, kind_of_change(changed.change)
        )
        if not (chosen.mail or chosen.push):
            return
        email = await self.customers.email_of(changed.customer_id)
        if email is None:
            return  # the policyholder has no account to log in to
        one_mailbox(email)  # recorded before the notifier checked addresses
        await self.notices.schedule_once(
            str(envelope.event_id),
            changed.claim_id,
            changed.customer_id,
            self.status_mail_window_seconds,
            kind,
        )
