"""Instances of a service that start together create their tables without tripping over each
other (CREATE TABLE IF NOT EXISTS alone races in PostgreSQL's catalogue)."""

from __future__ import annotations

import asyncio

from claims_shared.database import create_pool, create_schema

DDL = """
CREATE TABLE IF NOT EXISTS started_together (id text PRIMARY KEY, detail jsonb NOT NULL);
CREATE INDEX IF NOT EXISTS started_together_detail ON started_together ((detail->>'n'));
"""


async def test_eight_instances_creating_the_same_tables_at_once_all_succeed(
    database_url: str,
) -> None:
    pools = [await create_pool(database_url, max_size=1) for _ in range(8)]
    try:
        await asyncio.gather(*(create_schema(pool, DDL) for pool in pools))
        assert await pools[0].fetchval("SELECT count(*) FROM started_together") == 0
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))
