"""The typical time a claim spends in each stage (「通常◯日程度」), from the claims closed lately.

Each closed claim's time in each stage is written to claim_stage_durations by the read model, in
the transaction that folds its claim_closed (a rebuild writes them again, the same rows); a
reopened claim's rows go until it closes again. The median per stage is computed by PostgreSQL
(percentile_cont) over the claims closed in the last `window_days`, and kept a few minutes: the
figure moves slowly and every detail read asks for it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta

import asyncpg

from claim_status.domain import ClaimDocument
from claim_status.stage_times import reached_at, stage_durations, typical_days
from claims_shared.events.claims import StageCode


async def record_stage_durations(
    conn: asyncpg.Connection, claims: Mapping[str, ClaimDocument]
) -> None:
    """Write the closed claims' time in each stage; take back the reopened ones'. Upserted, as
    a rebuild writes the same rows while the serving projection may."""
    reopened = [claim_id for claim_id, claim in claims.items() if not claim["closed"]]
    if reopened:
        await conn.execute("DELETE FROM claim_stage_durations WHERE claim_id = ANY($1)", reopened)
    rows = [
        (claim_id, stage, seconds, reached_at(claim["timeline"])["closed"])
        for claim_id, claim in claims.items()
        if claim["closed"]
        for stage, seconds in stage_durations(claim["timeline"]).items()
    ]
    if rows:
        await conn.executemany(
            "INSERT INTO claim_stage_durations VALUES ($1, $2, $3, $4::text::timestamptz) "
            "ON CONFLICT (claim_id, stage) DO UPDATE SET seconds = $3, "
            "closed_at = $4::text::timestamptz",
            rows,
        )


MEDIANS = """
SELECT stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS median, count(*) AS claims
FROM claim_stage_durations WHERE closed_at > $1 GROUP BY stage
"""


class TypicalDurations:
    """Each stage's typical days as the customer API shows them, cached `cache_seconds`."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        window_days: int,
        min_claims: int,
        cache_seconds: float = 300.0,
    ) -> None:
        self.pool = pool
        self.window = timedelta(days=window_days)
        self.min_claims = min_claims
        self.cache_for = timedelta(seconds=cache_seconds)
        self._figures: dict[StageCode, int] = {}
        self._until: datetime | None = None
        self._lock = asyncio.Lock()  # one query when the cache runs out, not one per request

    async def days(self, now: datetime) -> dict[StageCode, int]:
        """Each stage's typical days (a stage too few claims back is left out)."""
        if self._until is not None and now < self._until:
            return self._figures
        async with self._lock:
            if self._until is None or now >= self._until:
                rows = await self.pool.fetch(MEDIANS, now - self.window)
                self._figures = {
                    row["stage"]: days
                    for row in rows
                    if (days := typical_days(row["median"], row["claims"], self.min_claims))
                    is not None
                }
                self._until = now + self.cache_for
        return self._figures
