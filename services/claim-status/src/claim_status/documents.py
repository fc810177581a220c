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
            "SELECT document_id, action_id, file_name, content_type, size_bytes, "
            "submitted_at FROM claim_documents WHERE claim_id = $1 AND customer_id = $2 "
            "AND state = 'received' ORDER BY submitted_at, document_id",
            claim_id,
            customer_id,
        )
        return [_stored(row) for row in rows]

    async def of_claims(self, claim_ids: list[str]) -> dict[str, list[StoredDocument]]:
        """The received documents of several claims (a page of the list), by claim id; the
        claims were already found to be the customer's."""
        rows = await self.pool.fetch(
            "SELECT claim_id, document_id, action_id, file_name, content_type, size_bytes, "
            "submitted_at FROM claim_documents WHERE claim_id = ANY($1) "
            "AND state = 'received' ORDER BY submitted_at, document_id",
            claim_ids,
        )
        found: dict[str, list[StoredDocument]] = {}
        for row in rows:
            found.setdefault(row["claim_id"], []).append(_stored(row))
        return found

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


def _stored(row: asyncpg.Record) -> StoredDocument:
    return {
        "document_id": str(row["document_id"]),
        "action_id": row["action_id"],
        "file_name": row["file_name"],
        "content_type": row["content_type"],
        "size_bytes": row["size_bytes"],
        "submitted_at": row["submitted_at"].isoformat(),
    }
