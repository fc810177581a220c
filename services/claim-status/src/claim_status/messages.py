"""The message board of each accident (メッセージ): one thread per claim, customer ⇄ handler.

The customer's side is the Correspondence's Thread (claim_status.correspondence): what they posted
(MessagePosted, announced once on claims.customer-submissions as CustomerMessagePosted) and how
far they have read the handler's messages (MessagesRead, 既読). The handler's side is in the claim
document (message_to_customer and the handler's own 既読 mark, customer_messages_read, both
adjuster updates). `ThreadRows` keeps the customer's side in claim_messages and claim_threads (the
Correspondence's projection); `MessageService` merges both sides for the customer API.

Messages are plain text: NFKC (a phone's IME types full-width letters and digits), trimmed, 1 to
2,000 characters, no control characters but the line break. Nothing here renders them: the web
front shows them as text, so a link or a tag stays what was typed.
"""

from __future__ import annotations

import asyncio
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypedDict

import asyncpg
from eventsourcing.domain import DomainEventProtocol
from pydantic import BeforeValidator, StringConstraints

from claim_status.correspondence import Correspondence, Thread
from claim_status.domain import ClaimDocument
from claim_status.read_model import ClaimReadModel, load_document
from claims_shared.errors import Message
from claims_shared.throttle import RefusedUntil

MAX_MESSAGE_CHARACTERS = 2000
RATE_WINDOW = timedelta(hours=1)


def _normalised(value: object) -> object:
    """NFKC, one kind of line break, no surrounding spaces; anything but text is left for the
    str check to refuse."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


MessageText = Annotated[
    str,
    BeforeValidator(_normalised),
    StringConstraints(
        min_length=1,
        max_length=MAX_MESSAGE_CHARACTERS,
        pattern=r"^[^\x00-\x09\x0b-\x1f\x7f-\x9f]*$",
    ),
]
"""A message as the customer typed it, after NFKC and trimming: 1 to 2,000 characters, line
breaks allowed, no other control character (Unicode's Cc)."""


Sender = Literal["customer", "handler"]


class ThreadMessage(TypedDict):
    message_id: str
    sender: Sender
    text: str
    at: str
    read: bool


class OwnMessage(TypedDict):
    """A customer's message as claim_messages holds it."""

    message_id: str
    text: str
    at: str


class ThreadView(TypedDict):
    claim_id: str
    office_hours: str
    closed: bool
    messages: list[ThreadMessage]


class NoSuchClaim(LookupError):
    """Not a claim of this customer's (missing or someone else's: the same answer)."""


class ClaimClosedForMessages(Exception):
    """A closed claim's thread is read-only (解決済みの事故)."""


class TooManyMessages(RefusedUntil):
    """The customer posted as many messages as the hour allows; the next may go at `until`."""

    reason = "too many messages"


def _read_through(ids: Sequence[str], up_to: str | None) -> int:
    """How many of `ids` (oldest first) are read when the reader read up to `up_to`: none when
    the mark names a message not (yet) among them."""
    if up_to is None or up_to not in ids:
        return 0
    return ids.index(up_to) + 1


def handler_messages(claim: ClaimDocument) -> list[OwnMessage]:
    return [
        {"message_id": m["message_id"], "text": m["text"], "at": m["at"]}
        for m in claim.get("messages", [])
    ]


def unread_messages(claim: ClaimDocument, read_up_to: str | None) -> int:
    """The handler's messages the customer has not read (the list's `unread_messages`), from
    the claim document and claim_threads.read_up_to."""
    ids = [m["message_id"] for m in claim.get("messages", [])]
    return len(ids) - _read_through(ids, read_up_to)


def thread(
    claim: ClaimDocument, own: Sequence[OwnMessage], customer_read_up_to: str | None
) -> list[ThreadMessage]:
    """Both sides merged, oldest first (newest at the bottom), each with its 既読 flag: on the
    customer's messages, whether the handler has read it; on the handler's, whether the
    customer had read it before this visit (false: new)."""
    handlers = handler_messages(claim)
    handler_read = _read_through([m["message_id"] for m in own], claim.get("handler_read_up_to"))
    customer_read = _read_through([m["message_id"] for m in handlers], customer_read_up_to)
    merged = [_on_thread(m, "handler", n < customer_read) for n, m in enumerate(handlers)]
    merged += [_on_thread(m, "customer", n < handler_read) for n, m in enumerate(own)]
    return sorted(
        merged, key=lambda m: (datetime.fromisoformat(m["at"]), m["sender"] == "customer")
    )


def _on_thread(message: OwnMessage, sender: Sender, read: bool) -> ThreadMessage:
    return {
        "message_id": message["message_id"],
        "sender": sender,
        "text": message["text"],
        "at": message["at"],
        "read": read,
    }


def newest_unread(claim: ClaimDocument, read_up_to: str | None) -> str | None:
    """The handler's newest message when the customer has not read it: reading the thread
    records that they read up to it; None when there is nothing new to record."""
    ids = [m["message_id"] for m in claim.get("messages", [])]
    if not ids or ids[-1] == read_up_to:
        return None
    return ids[-1]


def read_up_to(thread: Thread, message_id: str, now: datetime) -> bool:
    """The customer read the handler's messages up to `message_id`: recorded (MessagesRead)
    only when the thread's own mark is not there yet, as the projection that told the reader
    may lag a moment behind a read just recorded."""
    if thread.read_up_to == message_id:
        return False
    thread.mark_read(message_id, now.isoformat())
    return True


class ThreadRows:
    """The customer's side of each thread, written by the Correspondence's projection
    (claim_status.correspondence.CorrespondenceReadModel): their messages (claim_messages) and
    how far they have read the handler's (claim_threads). Replayed events change nothing."""

    async def write(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        posted = [e for e in domain_events if isinstance(e, Thread.MessagePosted)]
        if posted:
            await conn.executemany(
                "INSERT INTO claim_messages (message_id, claim_id, customer_id, text, posted_at) "
                "VALUES ($1, $2, $3, $4, $5::text::timestamptz) ON CONFLICT DO NOTHING",
                [
                    (uuid.UUID(e.message_id), e.claim_id, e.customer_id, e.text, e.posted_at)
                    for e in posted
                ],
            )
        read = [e for e in domain_events if isinstance(e, Thread.MessagesRead)]
        if read:
            await conn.executemany(
                "INSERT INTO claim_threads (claim_id, customer_id, read_up_to, read_at) "
                "VALUES ($1, $2, $3, $4::text::timestamptz) ON CONFLICT (claim_id) DO UPDATE "
                "SET read_up_to = $3, read_at = $4::text::timestamptz",
                [(e.claim_id, e.customer_id, e.up_to, e.read_at) for e in read],
            )


@dataclass(frozen=True)
class Posted:
    message_id: uuid.UUID
    posted_at: datetime


@dataclass
class MessageService:
    """What the customer API does with a thread: read it (marking the handler's messages read)
    and post to it. Whose claim it is is a filter on the customer id: a foreign claim and a
    missing one are both None (404)."""

    pool: asyncpg.Pool
    correspondence: Correspondence
    read_model: ClaimReadModel
    office_hours: Message
    messages_per_hour: int
    records_reads: bool = True
    """False on a read-only instance (CLAIM_STATUS_READ_ONLY, a read replica): it shows the
    thread but cannot record that it was read; the primary's instances do."""

    async def read(
        self, customer_id: str, claim_id: str, language: str, now: datetime
    ) -> ThreadView | None:
        claim = await self._claim(customer_id, claim_id)
        if claim is None:
            return None
        own = await self.pool.fetch(
            "SELECT message_id, text, posted_at FROM claim_messages "
            "WHERE claim_id = $1 AND customer_id = $2 ORDER BY posted_at, message_id",
            claim_id,
            customer_id,
        )
        read_up_to: str | None = await self.pool.fetchval(
            "SELECT read_up_to FROM claim_threads WHERE claim_id = $1 AND customer_id = $2",
            claim_id,
            customer_id,
        )
        messages = thread(
            claim,
            [
                {
                    "message_id": str(row["message_id"]),
                    "text": row["text"],
                    "at": row["posted_at"].isoformat(),
                }
                for row in own
            ],
            read_up_to,
        )
        newest = newest_unread(claim, read_up_to)
        if newest is not None and self.records_reads:
            await asyncio.to_thread(self._mark_read, claim_id, customer_id, newest, now)
        return {
            "claim_id": claim_id,
            "office_hours": self.office_hours.in_language(language),
            "closed": claim["closed"],
            "messages": messages,
        }

    def _mark_read(self, claim_id: str, customer_id: str, up_to: str, now: datetime) -> None:
        self.correspondence.on_thread(
            claim_id, customer_id, lambda thread: read_up_to(thread, up_to, now)
        )

    async def post(self, customer_id: str, claim_id: str, text: str, now: datetime) -> Posted:
        """Raises NoSuchClaim, ClaimClosedForMessages or TooManyMessages."""
        claim = await self._claim(customer_id, claim_id)
        if claim is None:
            raise NoSuchClaim(claim_id)
        if claim["closed"]:
            raise ClaimClosedForMessages(claim_id)
        await self._check_rate(customer_id, now)
        posted = Posted(uuid.uuid4(), now)
        await asyncio.to_thread(
            self.correspondence.on_thread,
            claim_id,
            customer_id,
            lambda thread: thread.post(posted.message_id, text, now.isoformat()),
        )
        return posted

    async def _check_rate(self, customer_id: str, now: datetime) -> None:
        """At most `messages_per_hour` in any hour, counted from the customer's messages on all
        their claims (claim_messages, a moment behind the event store)."""
        recent = await self.pool.fetch(
            "SELECT posted_at FROM claim_messages WHERE customer_id = $1 AND posted_at > $2 "
            "ORDER BY posted_at DESC LIMIT $3",
            customer_id,
            now - RATE_WINDOW,
            self.messages_per_hour,
        )
        if len(recent) >= self.messages_per_hour:
            raise TooManyMessages(recent[-1]["posted_at"] + RATE_WINDOW)

    async def _claim(self, customer_id: str, claim_id: str) -> ClaimDocument | None:
        detail = await self.pool.fetchval(
            f"SELECT detail FROM {self.read_model.table} WHERE claim_id = $1 AND customer_id = $2",
            claim_id,
            customer_id,
        )
        return load_document(detail) if detail is not None else None
