"""The customers' accident list and details: one row per claim, holding the claim document folded
by the same `evolve` the Claim uses. Kept by claims_shared.projection (rows and position in one
transaction). `version` names the tables, so a rebuild can fill new ones while these serve."""

from __future__ import annotations

import json
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
            updated_at    timestamptz NOT NULL,
            detail        jsonb       NOT NULL
        );
        CREATE INDEX IF NOT EXISTS {self.table}_customer
            ON {self.table} (customer_id, accident_date DESC, claim_id DESC);
        """

    async def apply(self, conn: asyncpg.Connection, domain_event: DomainEventProtocol[Any]) -> None:
        if not isinstance(domain_event, Claim.UpdateApplied):
            return
        current = await conn.fetchval(
            f"SELECT detail FROM {self.table} WHERE claim_id = $1 FOR UPDATE",
            domain_event.claim_id,
        )
        state = json.loads(current) if current else None
        if state is not None and state["sequence"] >= domain_event.sequence:
            return  # already folded (a rebuild overlapping the live run)
        claim = evolve(
            state,
            domain_event.kind,
            domain_event.data,
            sequence=domain_event.sequence,
            occurred_at=domain_event.occurred_at,
        )
        await conn.execute(
            f"INSERT INTO {self.table} VALUES ($1, $2, $3::text::date, $4, $5::text::timestamptz, "
            "$6) ON CONFLICT (claim_id) DO UPDATE SET customer_id = $2, accident_date = "
            "$3::text::date, stage = $4, updated_at = $5::text::timestamptz, detail = $6",
            domain_event.claim_id,
            claim["customer_id"],
            claim["accident_date"],
            claim["stage"],
            claim["updated_at"],
            json.dumps(claim, ensure_ascii=False),
        )
