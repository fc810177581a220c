"""The customers' accident list and details: one row per claim, holding the claim document folded
by the same `evolve` the Claim uses. Kept by claims_shared.projection (rows and position in one
transaction), with each closed claim's time in each stage (typical_durations) in the same
transaction. `version` names the tables, so a rebuild can fill new ones while these serve.

The one table the service creates itself rather than through its migrations: its name is chosen
at run time (CLAIM_STATUS_READ_MODEL_VERSION, `rebuild --version N`), and its shape changes by a
rebuild into a new version, never by ALTER (see claim_status.schema)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any, cast

import asyncpg
import orjson
from eventsourcing.application import LRUCache
from eventsourcing.domain import DomainEventProtocol

from claim_status.domain import Claim, ClaimDocument, data_of, evolve
from claim_status.typical_durations import record_stage_durations
from claims_shared.database import create_schema

DURATIONS_CHANGE = frozenset({"claim_closed", "claim_reopened"})
"""The updates that write (or take back) a claim's time in each stage."""


def load_document(stored: str | bytes) -> ClaimDocument:
    """A claim document as this read model stored it. Taken as it is, not validated: `evolve`
    wrote it, and a document an earlier release wrote must still load (and be shown) as it is."""
    return cast(ClaimDocument, orjson.loads(stored))


class ClaimReadModel:
    """Keeps the documents it last wrote in memory (up to `cache_size` claims), as the JSON it
    wrote (bytes: nothing for the garbage collector to walk): a batch reads only the rows'
    sequence numbers, and the full document only of a claim it does not hold at that sequence
    (first sight, evicted, or written by another process)."""

    def __init__(self, version: int = 1, cache_size: int = 20000) -> None:
        self.version = version
        self._documents: LRUCache[str, tuple[int, bytes]] = LRUCache(maxsize=cache_size)
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

    async def create_table(self, pool: asyncpg.Pool) -> None:
        """This version's table, if it is not there yet (under the schema lock)."""
        await create_schema(pool, self.ddl)

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        """Fold the batch in memory: one read of the claims it touches, one write of each."""
        applied = [e for e in domain_events if isinstance(e, Claim.UpdateApplied)]
        if not applied:
            return
        touched = {e.claim_id for e in applied}
        try:
            await self._fold_and_write(conn, applied, touched)
        except BaseException:
            self._forget(touched)  # folded in memory, not written
            raise

    async def _fold_and_write(
        self, conn: asyncpg.Connection, applied: list[Claim.UpdateApplied], touched: set[str]
    ) -> None:
        claims = await self._current(conn, touched)
        for event in applied:
            state = claims.get(event.claim_id)
            if state is not None and state["sequence"] >= event.sequence:
                continue  # already folded (a rebuild overlapping the live run)
            claims[event.claim_id] = evolve(
                state,
                data_of(event.kind, event.data),
                sequence=event.sequence,
                occurred_at=event.occurred_at,
            )
        encoded = {claim_id: orjson.dumps(claims[claim_id]) for claim_id in touched}
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
                    encoded[claim_id].decode(),
                )
                for claim_id, c in claims.items()
                if claim_id in touched
            ],
        )
        for claim_id in touched:
            self._documents.put(claim_id, (claims[claim_id]["sequence"], encoded[claim_id]))
        closed_or_reopened = {e.claim_id for e in applied if e.kind in DURATIONS_CHANGE}
        await record_stage_durations(
            conn, {claim_id: claims[claim_id] for claim_id in closed_or_reopened}
        )

    async def _current(
        self, conn: asyncpg.Connection, claim_ids: set[str]
    ) -> dict[str, ClaimDocument]:
        """The stored documents of these claims (locked for this transaction), from memory
        where the one held is at the stored sequence."""
        rows = await conn.fetch(
            f"SELECT claim_id, sequence FROM {self.table} WHERE claim_id = ANY($1) FOR UPDATE",
            list(claim_ids),
        )
        claims: dict[str, ClaimDocument] = {}
        stale = []
        for row in rows:
            held = self._held(row["claim_id"])
            if held is not None and held[0] == row["sequence"]:
                claims[row["claim_id"]] = load_document(held[1])
            else:
                stale.append(row["claim_id"])
        if stale:
            for row in await conn.fetch(
                f"SELECT claim_id, detail FROM {self.table} WHERE claim_id = ANY($1)", stale
            ):
                claims[row["claim_id"]] = load_document(row["detail"])
        return claims

    def _held(self, claim_id: str) -> tuple[int, bytes] | None:
        try:
            return self._documents.get(claim_id)
        except KeyError:
            return None

    def _forget(self, claim_ids: set[str]) -> None:
        for claim_id in claim_ids:
            with contextlib.suppress(KeyError):
                self._documents.get(claim_id, evict=True)
