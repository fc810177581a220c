""" "Status updated" and "new message" notices, one of each per claim per burst of adjusters'
updates.

An adjuster's system often sends several updates of one claim within a second; each becomes a
ClaimStatusChanged, and a mail for each would be several identical mails. So the first change of
a claim schedules a notice, due a window later (NOTIFIER_STATUS_MAIL_WINDOW_SECONDS); changes of
the same claim until it is sent join it; a change after it was sent schedules the next one. At
most one mail per claim per window. A handler's message to the customer (message_to_customer)
schedules a notice of its own kind (new_message: "you have a new message", without its text
and, like every notice, without a link: it says where to look after logging in); messages join
it as changes join a status notice, and neither kind ever joins the other, so a burst with a
stage change and a message mails both.

The notice is a row in the notifier's database, written in the transaction that records the
event as processed (claims_shared.idempotency), before the Kafka offset is committed: a kill -9
between the change and the mail loses nothing. The sweeper claims the earliest due notice
(FOR UPDATE SKIP LOCKED, so several notifier replicas share the work), mails it and deletes the
row in that one transaction, open while the SMTP server accepts the mail (as every mail is sent,
notifier.sending): the row is sent and gone, or still there. A refused mail leaves the row, due
again later (its attempts double the wait); a change of that claim meanwhile waits on the row's
lock and then joins it, or schedules the next notice.

The sweeper sleeps until the earliest notice is due, and with none waiting for one window: a
notice scheduled after it looked (by any replica) is due a window after that. So an idle
notifier asks once a window, and a notice leaves when it is due."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field

import asyncpg

from claims_shared.idempotency import apply_once
from claims_shared.kafka import UnprocessableMessage
from claims_shared.logging import get_logger
from notifier.mails import Mail, compose
from notifier.preferences import NoticeKind, NotificationPreferences
from notifier.push_notices import NoticePushes
from notifier.sending import MailSender

log = get_logger(__name__)

# A mail server refusing for hours must not lose notices, nor be asked every second.
MAX_RETRY_SECONDS = 300.0
# The shortest sleep, for a window of 0 or a due notice another replica is sending.
MIN_PAUSE_SECONDS = 0.1

CLAIM_NEXT_DUE = """
SELECT n.notice_id, n.customer_id, n.claim_id, n.kind, n.changes, n.attempts, c.email, c.language
FROM status_notices n LEFT JOIN customers c USING (customer_id)
WHERE n.due_at <= now() ORDER BY n.due_at LIMIT 1
FOR UPDATE OF n SKIP LOCKED
"""


# Each kind of notice is a mail template (no link, no claim detail) and the customer's setting
# (notifier.preferences) that decides its mail.
NOTICE_SETTINGS: dict[str, NoticeKind] = {
    "claim_status_changed": "status_changed",
    "action_requested": "action_requested",
    "new_message": "message_received",
}


async def schedule_notice(
    conn: asyncpg.Connection, claim_id: str, customer_id: str, window_seconds: float, kind: str
) -> None:
    """Schedule the claim's notice of this kind, or join the one waiting (keeping its due time)."""
    await conn.execute(
        "INSERT INTO status_notices (claim_id, notice_id, customer_id, due_at, kind) "
        "VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5) "
        "ON CONFLICT (customer_id, claim_id, kind) "
        "DO UPDATE SET changes = status_notices.changes + 1",
        claim_id,
        uuid.uuid4(),
        customer_id,
        window_seconds,
        kind,
    )


class StatusNoticeTable:
    """The status_notices table as handlers.NoticeSchedule: scheduled in the transaction that
    records the event as processed, so a redelivered change counts once."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def schedule_once(
        self,
        event_id: str,
        claim_id: str,
        customer_id: str,
        window_seconds: float,
        kind: str,
    ) -> None:
        async def schedule(conn: asyncpg.Connection) -> None:
            await schedule_notice(conn, claim_id, customer_id, window_seconds, kind)

        await apply_once(self.pool, "notifier", event_id, schedule)


@dataclass(eq=False)
class StatusNoticeSweeper:
    """A supervised background worker (claims_shared.service.supervised) that mails due notices."""

    name = "status-notices"

    pool: asyncpg.Pool
    sender: MailSender
    window_seconds: float
    retry_seconds: float
    preferences: NotificationPreferences | None = None  # none: every notice is mailed
    pushes: NoticePushes | None = None  # the notice's push, after its mail (notifier.push_notices)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    async def run(self) -> None:
        while not self._stopping.is_set():
            while not self._stopping.is_set() and await self.send_next():
                pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=await self._pause())

    def stop(self) -> None:
        self._stopping.set()

    async def _pause(self) -> float:
        """Seconds until the earliest notice is due, at most one window (see the module's doc)."""
        until_due = await self.pool.fetchval(
            "SELECT extract(epoch FROM min(due_at) - now()) FROM status_notices"
        )
        pause = self.window_seconds if until_due is None else float(until_due)
        return max(MIN_PAUSE_SECONDS, min(pause, self.window_seconds))

    async def send_next(self) -> bool:
        """Mail the earliest due notice that no other replica is sending; False if none is due."""
        async with self.pool.acquire() as conn, conn.transaction():
            notice = await conn.fetchrow(CLAIM_NEXT_DUE)
            if notice is None:
                return False
            notice_id = notice["notice_id"]
            mail: Mail | None
            try:
                mail = self._mail(notice)
            except UnprocessableMessage as error:
                log.error("status notice dropped", notice_id=str(notice_id), reason=str(error))
                await conn.execute("DELETE FROM status_notices WHERE notice_id = $1", notice_id)
                return True
            if not await self._mailed(notice):
                mail = None  # the customer turned this kind's mail off: its push only, if on
            try:
                async with conn.transaction():  # a savepoint: a refused mail keeps its row
                    await conn.execute("DELETE FROM status_notices WHERE notice_id = $1", notice_id)
                    if mail is not None:
                        await self.sender.send_within(conn, str(notice_id), mail)
            except Exception as error:  # with the database away too, _postpone raises: restarted
                await self._postpone(conn, notice, error)
                return True
        log.info(
            "status notice sent",
            notice_id=str(notice_id),
            kind=notice["kind"],
            changes=notice["changes"],
            mailed=mail is not None,
        )
        if self.pushes is not None:
            await _push(self.pushes, notice)
        return True

    def _mail(self, notice: asyncpg.Record) -> Mail:
        if notice["email"] is None:
            raise UnprocessableMessage("the customer is no longer in the directory")
        if notice["kind"] not in NOTICE_SETTINGS:
            raise UnprocessableMessage(f"no mail for notices of kind {notice['kind']!r}")
        return compose(notice["kind"], notice["language"], notice["email"])

    async def _mailed(self, notice: asyncpg.Record) -> bool:
        """The customer's mail setting for this kind of notice, read when it is sent: a change
        of mind within the window counts."""
        if self.preferences is None:
            return True
        setting = NOTICE_SETTINGS[notice["kind"]]  # _mail refused kinds without a mail
        return (await self.preferences.channels(notice["customer_id"], setting)).mail

    async def _postpone(
        self, conn: asyncpg.Connection, notice: asyncpg.Record, error: Exception
    ) -> None:
        """The SMTP server refused or was away: try again later, doubling the wait (counted
        from now, not from the transaction's start, which an SMTP timeout may have aged)."""
        delay = min(self.retry_seconds * 2 ** notice["attempts"], MAX_RETRY_SECONDS)
        log.warning(
            "status notice not sent; will retry",
            notice_id=str(notice["notice_id"]),
            attempts=notice["attempts"] + 1,
            retry_in=delay,
            error=repr(error),
        )
        await conn.execute(
            "UPDATE status_notices SET attempts = attempts + 1, "
            "due_at = clock_timestamp() + make_interval(secs => $2) WHERE notice_id = $1",
            notice["notice_id"],
            delay,
        )


async def _push(pushes: NoticePushes, notice: asyncpg.Record) -> None:
    """After the mail's commit: a push that fails never sends the mail again."""
    try:
        await pushes.push_notice(
            notice["customer_id"], notice["claim_id"], notice["kind"], notice["language"]
        )
    except Exception as error:  # the database away: the pushes of this notice are lost
        log.error("status notice not pushed", notice_id=str(notice["notice_id"]), error=repr(error))
