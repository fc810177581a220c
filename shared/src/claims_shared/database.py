"""asyncpg pools, made one way: a bounded pool, and a readiness check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

ReadyCheck = Callable[[], Awaitable[None]]


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, command_timeout=30
    )
    assert pool is not None
    return pool


def pool_ready(pool: asyncpg.Pool) -> ReadyCheck:
    async def check() -> None:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")

    return check
