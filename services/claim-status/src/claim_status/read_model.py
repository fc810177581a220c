"""The customers' accident list and details: one row per claim, holding the claim document folded
by the same `evolve` the Claim uses. Kept by claims_shared.projection (rows and position in one
transaction). `version` names the tables, so a rebuild can fill new ones while these serve."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg
from eventsourcing.domain import DomainEventProtocol

from claim_status.domain import Claim, evolve


class Accidents:
    def __init__(self, version: int = 1) -> None:
        self.version = version
        self.table = f"accidents_v{version}"
        self.name = f"accidents:v{version}"
        self.ddl = f"""
        CREATE TABLE IF NOT EXISTS {self.table} (
            claim_id      text        PRIMARY KEY,
            customer_id   text        NOT NULL,
            accident_date date        NOT NULL,
            stage         text        NOT NULL,
            sequence      int         NOT NULL,
            updated_at    timestamptz NOT NULL,
            detail        jsonb       NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {self.table}_customer
            ON {self.table} (customer_id, accident_date DESC, claim_id DESC);
        """

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        """Fold the batch in memory: one read of the claims it touches, one write of each."""
        applied = [e for e in domain_events if isinstance(e, Claim.UpdateApplied)]
        if not applied:
            return
        rows = await conn.fetch(
            f"SELECT claim_id, detail FROM {self.table} WHERE claim_id = ANY($1) FOR UPDATE",
            list({e.claim_id for e in applied}),
        )
        claims: dict[str, dict[str, Any]] = {r["claim_id"]: json.loads(r["detail"]) for r in rows}
        for event in applied:
            state = claims.get(event.claim_id)
            if state is not None and state["sequence"] >= event.sequence:
                continue  # already folded (a rebuild overlapping the live run)
            claims[event.claim_id] = evolve(
                state,
                event.kind,
                event.data,
                sequence=event.sequence,
                occurred_at=event.occurred_at,
            )
        touched = {e.claim_id for e in applied}
        await conn.executemany(
            f"INSERT INTO {self.table} VALUES ($1, $2, $3::text::date, $4, "
            "$5, $6::text::timestamptz, $7) ON CONFLICT (claim_id) DO UPDATE SET "
            "customer_id = $2, accident_date = $3::text::date, stage = $4, sequence = $5, "
            "updated_at = $6::text::timestamptz, detail = $7",
            [
                (
                    claim_id,
                    c["customer_id"],
                    c["accident_date"],
                    c["stage"],
                    c["sequence"],
                    c["updated_at"],
                    json.dumps(c, ensure_ascii=False),
                )
                for claim_id, c in claims.items()
                if claim_id in touched
            ],
        )
