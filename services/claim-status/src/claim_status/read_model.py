"""The customers' accident list and details: one row per claim, holding the claim document folded
by the same `evolve` the Claim uses. Kept by claims_shared.projection (rows and position in one
statement or one transaction), with each closed claim's time in each stage (typical_durations)
in the same transaction. `version` names the tables, so a rebuild can fill new ones while these
serve.

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
from claims_shared.projection import Position, position_upsert

POSITION_IF_ALL_WRITTEN = position_upsert(
    "SELECT $9::text, $10::bigint WHERE $9 IS NOT NULL "
    "AND (SELECT count(*) FROM written) = cardinality($1::text[])"
)
"""The projection's position in the batch's own statement, moved only if every row of the batch
was written ($9 NULL: the caller's transaction writes it)."""

DURATIONS_CHANGE = frozenset({"claim_closed", "claim_reopened"})
"""The updates that write (or take back) a claim's time in each stage."""


def load_document(stored: str | bytes) -> ClaimDocument:
    """A claim document as this read model stored it. Taken as it is, not validated: `evolve`
    wrote it, and a document an earlier release wrote must still load (and be shown) as it is."""
    return cast(ClaimDocument, orjson.loads(stored))


class ClaimReadModel:
    """Keeps the documents it last wrote in memory (up to `cache_size` claims), as the JSON it
    wrote (bytes: nothing for the garbage collector to walk): a batch reads only the documents
    it does not hold (first sight, evicted), and its one write checks that each row is still
    at the sequence held; a row another process wrote meanwhile is read again and folded."""

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

        self._write_statement = _write_statement(self.table)

    async def create_table(self, pool: asyncpg.Pool) -> None:
        """This version's table, if it is not there yet (under the schema lock)."""
        await create_schema(pool, self.ddl)

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        """Fold the batch in memory and write it in one statement, in the caller's transaction;
        only claims not held in memory are read first."""
        await self._apply(conn, domain_events, None)

    async def apply_all_at(
        self,
        conn: asyncpg.Connection,
        domain_events: Sequence[DomainEventProtocol[Any]],
        position: Position,
    ) -> None:
        """The same, with the position in the rows' statement (claims_shared.projection's
        WritesItsPosition): the one round trip of a usual batch. A batch that closes or reopens
        a claim (its stage durations are a second statement) is written in a transaction."""
        if any(
            isinstance(e, Claim.UpdateApplied) and e.kind in DURATIONS_CHANGE for e in domain_events
        ):
            async with conn.transaction():
                await self._apply(conn, domain_events, None)
                await position.save(conn)
            return
        await self._apply(conn, domain_events, position)

    async def _apply(
        self,
        conn: asyncpg.Connection,
        domain_events: Sequence[DomainEventProtocol[Any]],
        position: Position | None,
    ) -> None:
        applied = [e for e in domain_events if isinstance(e, Claim.UpdateApplied)]
        if not applied:
            if position is not None:
                await position.save(conn)
            return
        touched = {e.claim_id for e in applied}
        try:
            await self._fold_and_write(conn, applied, touched, position)
        except BaseException:
            self._forget(touched)  # folded in memory, not written
            raise

    async def _fold_and_write(
        self,
        conn: asyncpg.Connection,
        applied: list[Claim.UpdateApplied],
        touched: set[str],
        position: Position | None,
    ) -> None:
        """One statement writes the batch, each row only if it is still at the sequence the
        fold started from (the usual case: this process wrote it last and holds it), and the
        position if given and every row was written. A row another writer moved meanwhile is
        read again under a lock and folded afresh; outside the caller's transaction (a position
        given) that and the position are written in a transaction of their own, after the rows
        already written, which a replay rewrites unchanged (the fold skips what a row holds)."""
        opened = {e.claim_id for e in applied if e.sequence == 1}
        claims, expected = await self._starting_points(conn, touched, opened)
        folded = _fold(claims, applied)
        encoded = {claim_id: orjson.dumps(document) for claim_id, document in folded.items()}
        written = await self._write_unchanged(conn, folded, encoded, expected, position)
        lost = touched - written
        if lost:
            self._forget(lost)
            alone = conn.transaction() if position is not None else contextlib.nullcontext()
            async with alone:  # with its position; within the caller's transaction if none
                again = _fold(await self._current(conn, lost), applied, lost)
                folded.update(again)
                encoded.update(
                    (claim_id, orjson.dumps(document)) for claim_id, document in again.items()
                )
                await self._upsert(conn, again, encoded)
                if position is not None:
                    await position.save(conn)
        for claim_id in touched:
            self._documents.put(claim_id, (folded[claim_id]["sequence"], encoded[claim_id]))
        closed_or_reopened = {e.claim_id for e in applied if e.kind in DURATIONS_CHANGE}
        await record_stage_durations(
            conn, {claim_id: folded[claim_id] for claim_id in closed_or_reopened}
        )

    async def _starting_points(
        self, conn: asyncpg.Connection, claim_ids: set[str], opened: set[str]
    ) -> tuple[dict[str, ClaimDocument], dict[str, int | None]]:
        """The documents to fold the batch onto and the sequence each row is expected at (None:
        no row yet): the ones held in memory as they are, a claim the batch opens as new
        without asking (a round trip for most batches of a busy intake; if its row does exist,
        a replay, the insert finds it and it is read again under a lock), the others read
        (without a lock: the write checks the sequence)."""
        claims: dict[str, ClaimDocument] = {}
        expected: dict[str, int | None] = dict.fromkeys(claim_ids)
        for claim_id in claim_ids:
            held = self._held(claim_id)
            if held is not None:
                claims[claim_id] = load_document(held[1])
                expected[claim_id] = held[0]
        unknown = [c for c in claim_ids if c not in claims and c not in opened]
        if unknown:
            for row in await conn.fetch(
                f"SELECT claim_id, sequence, detail FROM {self.table} WHERE claim_id = ANY($1)",
                unknown,
            ):
                claims[row["claim_id"]] = load_document(row["detail"])
                expected[row["claim_id"]] = row["sequence"]
        return claims, expected

    async def _write_unchanged(
        self,
        conn: asyncpg.Connection,
        claims: dict[str, ClaimDocument],
        encoded: dict[str, bytes],
        expected: dict[str, int | None],
        position: Position | None,
    ) -> set[str]:
        """Update the rows still at their expected sequence and insert the ones expected absent,
        in one statement (arrays per column), with the position if given and every row was
        written; returns the claims written. Under READ COMMITTED the UPDATE re-checks the
        sequence on a row another transaction changed meanwhile."""
        ids = list(claims)
        rows = await conn.fetch(
            self._write_statement,
            *_columns(claims, encoded, ids),
            [expected[claim_id] for claim_id in ids],
            *(position.columns if position is not None else (None, None)),
        )
        return {row["claim_id"] for row in rows}

    async def _upsert(
        self, conn: asyncpg.Connection, claims: dict[str, ClaimDocument], encoded: dict[str, bytes]
    ) -> None:
        """Write these rows whatever they hold (they were read under a lock just before)."""
        ids = list(claims)
        await conn.execute(
            f"INSERT INTO {self.table} SELECT claim_id, customer_id, accident_date::date, "
            "stage, sequence, updated_at::timestamptz, detail::jsonb FROM unnest($1::text[], "
            "$2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[]) AS b("
            "claim_id, customer_id, accident_date, stage, sequence, updated_at, detail) "
            "ON CONFLICT (claim_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, "
            "accident_date = EXCLUDED.accident_date, stage = EXCLUDED.stage, "
            "sequence = EXCLUDED.sequence, updated_at = EXCLUDED.updated_at, "
            "detail = EXCLUDED.detail",
            *_columns(claims, encoded, ids),
        )

    async def _current(
        self, conn: asyncpg.Connection, claim_ids: set[str]
    ) -> dict[str, ClaimDocument]:
        """The stored documents of these claims, locked for this transaction."""
        rows = await conn.fetch(
            f"SELECT claim_id, detail FROM {self.table} WHERE claim_id = ANY($1) FOR UPDATE",
            list(claim_ids),
        )
        return {row["claim_id"]: load_document(row["detail"]) for row in rows}

    def _held(self, claim_id: str) -> tuple[int, bytes] | None:
        try:
            return self._documents.get(claim_id)
        except KeyError:
            return None

    def _forget(self, claim_ids: set[str]) -> None:
        for claim_id in claim_ids:
            with contextlib.suppress(KeyError):
                self._documents.get(claim_id, evict=True)


def _write_statement(table: str) -> str:
    """Update the rows still at their expected sequence ($8), insert the ones expected absent,
    and move the position if every row was written; answers the claims written."""
    return f"""
        WITH batch AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                 $5::int[], $6::text[], $7::text[], $8::int[])
                AS b(claim_id, customer_id, accident_date, stage, sequence, updated_at,
                     detail, expected)
        ), updated AS (
            UPDATE {table} AS t SET customer_id = b.customer_id,
                accident_date = b.accident_date::date, stage = b.stage,
                sequence = b.sequence, updated_at = b.updated_at::timestamptz,
                detail = b.detail::jsonb
            FROM batch AS b WHERE t.claim_id = b.claim_id AND t.sequence = b.expected
            RETURNING t.claim_id
        ), inserted AS (
            INSERT INTO {table}
            SELECT claim_id, customer_id, accident_date::date, stage, sequence,
                   updated_at::timestamptz, detail::jsonb
            FROM batch WHERE expected IS NULL
            ON CONFLICT (claim_id) DO NOTHING
            RETURNING claim_id
        ), written AS (
            SELECT claim_id FROM updated UNION ALL SELECT claim_id FROM inserted
        ), moved AS ({POSITION_IF_ALL_WRITTEN})
        SELECT claim_id FROM written
        """


def _fold(
    claims: dict[str, ClaimDocument],
    applied: list[Claim.UpdateApplied],
    only: set[str] | None = None,
) -> dict[str, ClaimDocument]:
    """The documents after the batch's updates (of the claims in `only`, if given)."""
    folded = dict(claims)
    for event in applied:
        if only is not None and event.claim_id not in only:
            continue
        state = folded.get(event.claim_id)
        if state is not None and state["sequence"] >= event.sequence:
            continue  # already folded (a rebuild overlapping the live run)
        folded[event.claim_id] = evolve(
            state,
            data_of(event.kind, event.data),
            sequence=event.sequence,
            occurred_at=event.occurred_at,
        )
    return folded


def _columns(
    claims: dict[str, ClaimDocument], encoded: dict[str, bytes], ids: list[str]
) -> list[list[Any]]:
    """The rows as one list per column, in the table's order (dates and times as the text the
    document holds, cast in SQL)."""
    documents = [claims[claim_id] for claim_id in ids]
    return [
        ids,
        [c["customer_id"] for c in documents],
        [c["accident_date"] for c in documents],
        [c["stage"] for c in documents],
        [c["sequence"] for c in documents],
        [c["updated_at"] for c in documents],
        [encoded[claim_id].decode() for claim_id in ids],
    ]
