"""What operators watch and what runs on a timer: held updates past their wait go to the DLQ, and
the claims per stage and the payment deadlines near or passed are counted for /metrics
(projection lag is event_follower_head minus event_follower_position)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import asyncpg
from prometheus_client import Gauge

from claim_status.deadline_watch import DeadlineWatch
from claim_status.intake import ClaimUpdateService
from claim_status.read_model import ClaimReadModel

CLAIMS_BY_STAGE = Gauge("claims_by_stage", "Claims in each stage", ["stage"])


@dataclass(eq=False)
class Sweeper:
    name = "sweeper"

    intake: ClaimUpdateService
    pool: asyncpg.Pool
    read_model: ClaimReadModel
    interval: float
    deadlines: DeadlineWatch
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.intake.expire_held()
            rows = await self.pool.fetch(
                f"SELECT stage, count(*) AS n FROM {self.read_model.table} GROUP BY stage"
            )
            for row in rows:
                CLAIMS_BY_STAGE.labels(row["stage"]).set(row["n"])
            await self.deadlines.refresh()
            try:
                await asyncio.wait_for(self._stopping.wait(), self.interval)
            except TimeoutError:
                pass
