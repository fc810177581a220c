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
    """One row of claim_documents."""

    document_id: str
    action_id: str | None
    file_name: str
    content_type: str
    size_bytes: int
    state: str  # received | quarantined
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
            "SELECT document_id, action_id, file_name, content_type, size_bytes, state, "
            "submitted_at FROM claim_documents WHERE claim_id = $1 AND customer_id = $2 "
            "AND state = 'received' ORDER BY submitted_at, document_id",
            claim_id,
            customer_id,
        )
        return [
            {
                "document_id": str(row["document_id"]),
                "action_id": row["action_id"],
                "file_name": row["file_name"],
                "content_type": row["content_type"],
                "size_bytes": row["size_bytes"],
                "state": row["state"],
                "submitted_at": row["submitted_at"].isoformat(),
            }
            for row in rows
        ]

    async def uploads_since(self, customer_id: str, since: datetime) -> int:
        """How many files the customer sent since `since`, quarantined ones too (the upload
        rate limit)."""
        count = await self.pool.fetchval(
            "SELECT count(*) FROM claim_documents WHERE customer_id = $1 AND submitted_at > $2",
            customer_id,
            since,
        )
        return int(count)
