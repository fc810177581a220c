"""Rebuild the customers' read model from the event store, beside the one that is serving.

    python -m claim_status.rebuild [--version N]

Fills `accidents_v<N>` (default: the serving version + 1) from the first event to the last while
the serving version keeps answering, then prints how to switch: set
CLAIM_STATUS_READ_MODEL_VERSION=N and restart the instances one by one; each continues the new
projection from its own recorded position, so nothing is missed or applied twice.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from claim_status.application import Claims
from claim_status.read_model import ClaimReadModel
from claim_status.schema import SCHEMA
from claim_status.settings import ClaimStatusSettings
from claims_shared.migrations import migrate
from claims_shared.projection import Projector
from claims_shared.settings import eventsourcing_env


async def rebuild(settings: ClaimStatusSettings, version: int) -> int:
    await migrate(SCHEMA, settings.database_url)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    claims = Claims(env=eventsourcing_env(settings.database_url))
    try:
        read_model = ClaimReadModel(version)
        await read_model.create_table(pool)
        projector = Projector(application=claims, read_model=read_model, pool=pool)
        position = await projector.catch_up()
        rows = await pool.fetchval(f"SELECT count(*) FROM accidents_v{version}")
    finally:
        claims.close()
        await pool.close()
    print(f"accidents_v{version}: {rows} claims, up to event {position}")
    return position


def main(argv: list[str] | None = None) -> int:
    settings = ClaimStatusSettings()
    parser = argparse.ArgumentParser(prog="python -m claim_status.rebuild")
    parser.add_argument("--version", type=int, default=settings.read_model_version + 1)
    version = parser.parse_args(argv).version
    if version == settings.read_model_version:
        print("refusing to rebuild the version that is serving", file=sys.stderr)
        return 2
    asyncio.run(rebuild(settings, version))
    print(f"switch with CLAIM_STATUS_READ_MODEL_VERSION={version} and a rolling restart")
    return 0


if __name__ == "__main__":
    sys.exit(main())
