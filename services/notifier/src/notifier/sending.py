"""Sending a mail exactly once per event: the event id goes into the sent-mail log in the same
transaction that is open while the SMTP server accepts the message (claims_shared.idempotency).
A redelivered event finds the row and sends nothing. Only a crash in the instant between the
server's "250 OK" and the commit can repeat a mail, and then with the same Message-ID, which mail
clients show once."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
import asyncpg
from prometheus_client import Counter

from claims_shared.idempotency import apply_once
from claims_shared.logging import get_logger
from notifier.mails import Mail
from notifier.settings import NotifierSettings

log = get_logger(__name__)

MAILS_SENT = Counter("notifier_mails_sent_total", "Mails the SMTP server accepted", ["kind"])
MAIL_FAILURES = Counter("notifier_mail_failures_total", "SMTP sends that failed", ["kind"])


class MailSender:
    def __init__(self, pool: asyncpg.Pool, settings: NotifierSettings) -> None:
        self.pool = pool
        self.settings = settings

    async def send_once(self, event_id: str, mail: Mail) -> bool:
        async def record_and_send(conn: asyncpg.Connection) -> None:
            await self.send_within(conn, event_id, mail)

        sent = await apply_once(self.pool, "notifier", event_id, record_and_send)
        log.info("mail sent" if sent else "mail already sent", kind=mail.kind, event_id=event_id)
        return sent

    async def send_within(self, conn: asyncpg.Connection, mail_id: str, mail: Mail) -> None:
        """Log the mail in the caller's transaction and hand it to the SMTP server while that
        transaction is open: the caller commits once the server accepted it, and a refusal
        rolls the log back. `mail_id` is the sent-mail log's key and the Message-ID."""
        await conn.execute(
            "INSERT INTO sent_mails (event_id, kind, recipient) VALUES ($1, $2, $3)",
            mail_id,
            mail.kind,
            mail.to,
        )
        await self._send(mail_id, mail)

    async def _send(self, event_id: str, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = f"<{event_id}@notifier.claims-status>"
        message.set_content(mail.text)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username or None,
                password=self.settings.smtp_password or None,
                start_tls=self.settings.smtp_starttls,
                timeout=self.settings.smtp_timeout_seconds,
            )
        except Exception:
            MAIL_FAILURES.labels(mail.kind).inc()
            raise
        MAILS_SENT.labels(mail.kind).inc()
