"""Held updates in PostgreSQL (the held_updates table, made by claim_status.migrations), as the
intake's HeldUpdates port: written before the Kafka offset is committed, so a crash loses none."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from claim_status.intake import HeldUpdate
from claims_shared.events import AdjusterUpdate


class HeldUpdateTable:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def claims_holding(self, claim_ids: set[str]) -> list[str]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT claim_id FROM held_updates WHERE claim_id = ANY($1)", list(claim_ids)
        )
        return [row["claim_id"] for row in rows]

    async def hold(self, update: AdjusterUpdate, at: datetime) -> None:
        await self.pool.execute(
            "INSERT INTO held_updates VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            str(update.update_id),
            update.claim_id,
            update.sequence,
            update.model_dump_json(),
            at,
        )

    async def first_of(self, claim_id: str) -> HeldUpdate | None:
        row = await self.pool.fetchrow(
            "SELECT update_id, claim_id, sequence, payload FROM held_updates "
            "WHERE claim_id = $1 ORDER BY sequence LIMIT 1",
            claim_id,
        )
        return HeldUpdate(**dict(row)) if row else None

    async def held_before(self, cutoff: datetime) -> list[HeldUpdate]:
        rows = await self.pool.fetch(
            "SELECT update_id, claim_id, sequence, payload FROM held_updates WHERE held_at < $1 "
            "ORDER BY claim_id, sequence",
            cutoff,
        )
        return [HeldUpdate(**dict(row)) for row in rows]

    async def remove(self, update_id: str) -> None:
        await self.pool.execute("DELETE FROM held_updates WHERE update_id = $1", update_id)

    async def count(self) -> int:
        count: int = await self.pool.fetchval("SELECT count(*) FROM held_updates")
        return count
