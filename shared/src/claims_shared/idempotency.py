"""Exactly-once effects on top of at-least-once delivery: the processed event id is recorded in
the same PostgreSQL transaction as the effect, so a redelivered message changes nothing. The
processed_events table comes from each service's migrations (claims_shared.schema)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

Effect = Callable[[asyncpg.Connection], Awaitable[None]]


async def apply_once(pool: asyncpg.Pool, consumer: str, event_id: str, effect: Effect) -> bool:
    """Run `effect` unless `consumer` already processed `event_id`; True if it ran now.

    A concurrent duplicate waits on the primary key until the first commits, then skips.
    If the effect raises, nothing is recorded and the message can be tried again.
    """
    async with pool.acquire() as conn, conn.transaction():
        first_time = await conn.fetchval(
            "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING RETURNING true",
            consumer,
            event_id,
        )
        if not first_time:
            return False
        await effect(conn)
        return True
