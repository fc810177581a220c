""" "Status updated" notices, one per claim per burst of adjusters' updates.

An adjuster's system often sends several updates of one claim within a second; each becomes a
ClaimStatusChanged, and a mail for each would be several identical mails. So the first change of
a claim schedules a notice, due a window later (NOTIFIER_STATUS_MAIL_WINDOW_SECONDS); changes of
the same claim until it is sent join it; a change after it was sent schedules the next one. At
most one mail per claim per window.

The notice is a row in the notifier's database, written in the transaction that records the
event as processed (claims_shared.idempotency), before the Kafka offset is committed: a kill -9
between the change and the mail loses nothing. The sweeper sends due notices with
MailSender.send_once, deleting the row in the transaction open while the SMTP server accepts the
mail, so each notice is mailed once, even with several notifier replicas sweeping."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg

from claims_shared.kafka import UnprocessableMessage
from claims_shared.logging import get_logger
from notifier.mails import accident_link, compose
from notifier.sending import MailSender

log = get_logger(__name__)

STATUS_NOTICES_DDL = """
CREATE TABLE IF NOT EXISTS status_notices (
    customer_id  text        NOT NULL,
    claim_id     text        NOT NULL,
    notice_id    uuid        NOT NULL UNIQUE,
    due_at       timestamptz NOT NULL,
    changes      integer     NOT NULL DEFAULT 1,
    attempts     integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, claim_id)
);
CREATE INDEX IF NOT EXISTS status_notices_due ON status_notices (due_at)
"""

# A mail server refusing for hours must not lose notices, nor be asked every second.
MAX_RETRY_SECONDS = 300.0


async def schedule_notice(
    conn: asyncpg.Connection, claim_id: str, customer_id: str, window_seconds: float
) -> None:
    """Schedule the claim's notice, or join the one already waiting (keeping its due time)."""
    await conn.execute(
        "INSERT INTO status_notices (claim_id, notice_id, customer_id, due_at) "
        "VALUES ($1, $2, $3, now() + make_interval(secs => $4)) "
        "ON CONFLICT (customer_id, claim_id) DO UPDATE SET changes = status_notices.changes + 1",
        claim_id,
        uuid.uuid4(),
        customer_id,
        window_seconds,
    )


class StatusNoticeSweeper:
    """A supervised background worker (claims_shared.service.supervised) that mails due notices."""

    name = "status-notices"

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: MailSender,
        web_url: str,
        window_seconds: float,
        retry_seconds: float,
    ) -> None:
        self.pool = pool
        self.sender = sender
        self.web_url = web_url
        self.retry_seconds = retry_seconds
        # Mails leave between one window and one poll after the first change.
        self.poll_seconds = min(1.0, max(0.05, window_seconds / 4))
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.send_due()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def send_due(self) -> None:
        due = await self.pool.fetch(
            "SELECT n.notice_id, n.claim_id, n.changes, n.attempts, c.email, c.language "
            "FROM status_notices n LEFT JOIN customers c USING (customer_id) "
            "WHERE n.due_at <= now() ORDER BY n.due_at LIMIT 100"
        )
        for notice in due:
            if self._stopping.is_set():
                return
            await self._send(notice)

    async def _send(self, notice: asyncpg.Record) -> None:
        notice_id = notice["notice_id"]
        try:
            if notice["email"] is None:
                raise UnprocessableMessage("the customer is no longer in the directory")
            mail = compose(
                "claim_status_changed",
                notice["language"],
                notice["email"],
                accident_url=accident_link(self.web_url, notice["claim_id"]),
            )
        except UnprocessableMessage as error:
            log.error("status notice dropped", notice_id=str(notice_id), reason=str(error))
            await self.pool.execute("DELETE FROM status_notices WHERE notice_id = $1", notice_id)
            return

        async def sent(conn: asyncpg.Connection) -> None:
            await conn.execute("DELETE FROM status_notices WHERE notice_id = $1", notice_id)

        try:
            await self.sender.send_once(str(notice_id), mail, also=sent)
        except Exception as error:  # with the database away too, _postpone raises: restarted
            await self._postpone(notice, error)
            return
        log.info("status notice sent", notice_id=str(notice_id), changes=notice["changes"])

    async def _postpone(self, notice: asyncpg.Record, error: Exception) -> None:
        """The SMTP server refused or was away: try again later, doubling the wait."""
        delay = min(self.retry_seconds * 2 ** notice["attempts"], MAX_RETRY_SECONDS)
        log.warning(
            "status notice not sent; will retry",
            notice_id=str(notice["notice_id"]),
            attempts=notice["attempts"] + 1,
            retry_in=delay,
            error=repr(error),
        )
        await self.pool.execute(
            "UPDATE status_notices SET attempts = attempts + 1, "
            "due_at = now() + make_interval(secs => $2) WHERE notice_id = $1",
            notice["notice_id"],
            delay,
        )
