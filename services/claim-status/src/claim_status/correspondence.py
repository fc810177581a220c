"""What customers send their claim's handler: documents and photos, and messages on the claim's
thread. Its own eventsourcing application (`Correspondence`), beside the Claims, with its own
outbox relay to claims.customer-submissions and its own projection (claim_documents,
claim_messages, claim_threads). The handler's answers (document_reviewed, message_to_customer,
customer_messages_read) are adjuster updates: they go into the Claim, not here.

Synchronous (eventsourcing is): the routes call it through asyncio.to_thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar, cast

import asyncpg
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError

from claims_shared.events import EventData
from claims_shared.events.submissions import (
    CustomerMessagePosted,
    DocumentSubmitted,
    DocumentType,
    download_path,
)
from claims_shared.follow import RecentlyRecorded


class Document(Aggregate):
    """One file a customer uploaded for a claim, with the request (action id) it answers. It is
    either received (scanned clean and stored under documents/{claim_id}/{document_id}) or
    quarantined (a virus was found: kept only under quarantine/..., never announced)."""

    class Uploaded(Aggregate.Created):
        """What every upload records; never stored itself, only as one of the two below."""

        claim_id: str
        customer_id: str
        action_id: str | None
        file_name: str
        content_type: str
        size_bytes: int
        sha256: str
        submitted_at: str

    class Received(Uploaded):
        pass

    class Quarantined(Uploaded):
        signature: str

    def __init__(
        self,
        claim_id: str,
        customer_id: str,
        action_id: str | None,
        file_name: str,
        content_type: str,
        size_bytes: int,
        sha256: str,
        submitted_at: str,
        signature: str | None = None,
    ) -> None:
        self.claim_id = claim_id
        self.customer_id = customer_id
        self.action_id = action_id
        self.file_name = file_name
        self.content_type = content_type
        self.size_bytes = size_bytes
        self.sha256 = sha256
        self.submitted_at = submitted_at
        self.signature = signature  # the virus clamd named; None when clean

    @classmethod
    def receive(cls, document_id: uuid.UUID, **facts: Any) -> Document:
        return cls._create(cls.Received, id=document_id, **facts)

    @classmethod
    def quarantine(cls, document_id: uuid.UUID, *, signature: str, **facts: Any) -> Document:
        return cls._create(cls.Quarantined, id=document_id, signature=signature, **facts)


def thread_key(claim_id: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"claims-status:thread:{claim_id}")


class Thread(Aggregate):
    """The customer's side of a claim's message thread: what they posted, and how far they
    have read the handler's messages (既読). The handler's messages are in the Claim."""

    class Started(Aggregate.Created):
        claim_id: str
        customer_id: str

    class MessagePosted(Aggregate.Event):
        claim_id: str
        customer_id: str
        message_id: str
        text: str
        posted_at: str

        def apply(self, aggregate: Thread) -> None:
            aggregate.posted.append(self.message_id)

    class MessagesRead(Aggregate.Event):
        """The customer read the handler's messages up to and including `up_to`."""

        claim_id: str
        customer_id: str
        up_to: str
        read_at: str

        def apply(self, aggregate: Thread) -> None:
            aggregate.read_up_to = self.up_to

    def __init__(self, claim_id: str, customer_id: str) -> None:
        self.claim_id = claim_id
        self.customer_id = customer_id
        self.posted: list[str] = []  # message ids, oldest first
        self.read_up_to: str | None = None

    @classmethod
    def start(cls, claim_id: str, customer_id: str) -> Thread:
        return cls._create(
            cls.Started, id=thread_key(claim_id), claim_id=claim_id, customer_id=customer_id
        )

    def post(self, message_id: uuid.UUID, text: str, posted_at: str) -> None:
        self.trigger_event(
            self.MessagePosted,
            claim_id=self.claim_id,
            customer_id=self.customer_id,
            message_id=str(message_id),
            text=text,
            posted_at=posted_at,
        )

    def mark_read(self, up_to: str, read_at: str) -> None:
        self.trigger_event(
            self.MessagesRead,
            claim_id=self.claim_id,
            customer_id=self.customer_id,
            up_to=up_to,
            read_at=read_at,
        )


T = TypeVar("T")


class Correspondence(RecentlyRecorded, Application[uuid.UUID]):
    """The commands the customer API calls; each saves one aggregate."""

    name = "Correspondence"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=env)

    def record_received(self, document_id: uuid.UUID, **facts: Any) -> Document:
        document = Document.receive(document_id, **facts)
        self.save(document)
        return document

    def record_quarantined(
        self, document_id: uuid.UUID, *, signature: str, **facts: Any
    ) -> Document:
        document = Document.quarantine(document_id, signature=signature, **facts)
        self.save(document)
        return document

    def document(self, document_id: uuid.UUID) -> Document | None:
        try:
            document: Document = self.repository.get(document_id)
        except AggregateNotFoundError:
            return None
        return document if isinstance(document, Document) else None

    def thread(self, claim_id: str) -> Thread | None:
        try:
            thread: Thread = self.repository.get(thread_key(claim_id))
        except AggregateNotFoundError:
            return None
        return thread

    def on_thread(self, claim_id: str, customer_id: str, change: Callable[[Thread], T]) -> T:
        """Change the claim's thread (started on first use) and save it; another writer's save
        in between makes it read the thread again (a few times)."""
        for attempt in range(5):
            thread = self.thread(claim_id) or Thread.start(claim_id, customer_id)
            result = change(thread)
            try:
                self.save(thread)
            except IntegrityError:
                if attempt == 4:
                    raise
                continue
            return result
        raise AssertionError("unreachable")


def translate(domain_event: DomainEventProtocol[Any]) -> list[tuple[str, EventData]]:
    """claims.customer-submissions out of the Correspondence's events (through its outbox
    relay), keyed by claim id. Quarantined documents and read marks stay inside."""
    if isinstance(domain_event, Document.Received):
        document_id = domain_event.originator_id
        return [
            (
                domain_event.claim_id,
                DocumentSubmitted(
                    claim_id=domain_event.claim_id,
                    customer_id=domain_event.customer_id,
                    document_id=document_id,
                    action_id=domain_event.action_id,
                    file_name=domain_event.file_name,
                    content_type=cast(DocumentType, domain_event.content_type),
                    size_bytes=domain_event.size_bytes,
                    sha256=domain_event.sha256,
                    download_path=download_path(domain_event.claim_id, document_id),
                    submitted_at=datetime.fromisoformat(domain_event.submitted_at),
                ),
            )
        ]
    if isinstance(domain_event, Thread.MessagePosted):
        return [
            (
                domain_event.claim_id,
                CustomerMessagePosted(
                    claim_id=domain_event.claim_id,
                    customer_id=domain_event.customer_id,
                    message_id=uuid.UUID(domain_event.message_id),
                    text=domain_event.text,
                    posted_at=datetime.fromisoformat(domain_event.posted_at),
                ),
            )
        ]
    return []


class Rows(Protocol):
    """Writes one part of the Correspondence's read tables (documents, the thread) from a batch
    of its events, in the projection's transaction."""

    async def write(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None: ...


class CorrespondenceReadModel:
    """The customer API's view of what customers sent: each part's rows, kept by
    claims_shared.projection (rows and position in one transaction)."""

    name = "correspondence:v1"

    def __init__(self, parts: Sequence[Rows]) -> None:
        self.parts = parts

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        for part in self.parts:
            await part.write(conn, domain_events)
