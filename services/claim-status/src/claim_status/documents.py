"""The documents customers uploaded, as the customer API reads them: the Correspondence's
projection writes claim_documents (`DocumentRows`), and `DocumentQueries` reads a claim's
documents for its own customer only (a foreign claim is the same 404 as a missing one)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict

import asyncpg
from eventsourcing.domain import DomainEventProtocol

from claim_status.correspondence import Document


class StoredDocument(TypedDict):
    """A received document as claim_documents keeps it (quarantined ones are not shown)."""

    document_id: str
    action_id: str | None
    file_name: str
    content_type: str
    size_bytes: int
    submitted_at: str


class DocumentRows:
    """claim_documents from Document.Received and Document.Quarantined (a redelivered event
    finds its row and changes nothing)."""

    async def write(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        rows = [
            (
                event.originator_id,
                event.claim_id,
                event.customer_id,
                event.action_id,
                event.file_name,
                event.content_type,
                event.size_bytes,
                event.sha256,
                "received" if isinstance(event, Document.Received) else "quarantined",
                datetime.fromisoformat(event.submitted_at),
            )
            for event in domain_events
            if isinstance(event, Document.Received | Document.Quarantined)
        ]
        if rows:
            await conn.executemany(
                "INSERT INTO claim_documents VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                "ON CONFLICT (document_id) DO NOTHING",
                rows,
            )


class DocumentQueries:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def of_claim(self, claim_id: str, customer_id: str) -> list[StoredDocument]:
        """The documents received for the claim (quarantined ones are not the customer's
        documents: they were told at once to send another), oldest first."""
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM claim_documents d WHERE claim_id = $1 AND customer_id = $2 "
            "AND state = 'received' ORDER BY submitted_at, document_id",
            claim_id,
            customer_id,
        )
        return stored_documents(rows)

    async def files_for_request(self, claim_id: str, action_id: str) -> int:
        count = await self.pool.fetchval(
            "SELECT count(*) FROM claim_documents WHERE claim_id = $1 AND action_id = $2 "
            "AND state = 'received'",
            claim_id,
            action_id,
        )
        return int(count)

    async def nth_latest_upload(self, customer_id: str, n: int) -> datetime | None:
        """When the customer's n-th most recent upload was (quarantined ones count too): the
        hourly allowance is used up while that is less than an hour ago."""
        found: datetime | None = await self.pool.fetchval(
            "SELECT submitted_at FROM claim_documents WHERE customer_id = $1 "
            "ORDER BY submitted_at DESC OFFSET $2 LIMIT 1",
            customer_id,
            n - 1,
        )
        return found


_COLUMNS = "d.document_id, d.action_id, d.file_name, d.content_type, d.size_bytes, d.submitted_at"
_RECEIVED = (
    f"ARRAY(SELECT ROW({_COLUMNS}) FROM claim_documents d WHERE d.claim_id = a.claim_id"
    "{also} AND d.state = 'received' ORDER BY d.submitted_at, d.document_id) AS documents"
)
RECEIVED_DOCUMENTS = _RECEIVED.format(also="")
"""A column for a query of the accidents read model aliased `a`: the received documents of
each row's claim, oldest first (decode with stored_documents). The accident, its thread and its
documents come in one round trip (issue 19: the list and the detail made two)."""
RECEIVED_DOCUMENTS_OF_ITS_CUSTOMER = _RECEIVED.format(also=" AND d.customer_id = a.customer_id")
"""The same, only those the claim's customer sent (the detail's documents, as of_claim)."""


def stored_documents(rows: Sequence[Sequence[Any]]) -> list[StoredDocument]:
    """Rows (or the records of a RECEIVED_DOCUMENTS column) in _COLUMNS' order."""
    return [
        {
            "document_id": str(document_id),
            "action_id": action_id,
            "file_name": file_name,
            "content_type": content_type,
            "size_bytes": size_bytes,
            "submitted_at": submitted_at.isoformat(),
        }
        for document_id, action_id, file_name, content_type, size_bytes, submitted_at in rows
    ]
