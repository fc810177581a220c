"""Exactly-once effects on top of at-least-once delivery: the processed event id is recorded in
the same PostgreSQL transaction as the effect, so a redelivered message changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from claims_shared.database import create_schema

PROCESSED_EVENTS_DDL = """
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
)
"""

Effect = Callable[[asyncpg.Connection], Awaitable[None]]


async def ensure_processed_events_table(pool: asyncpg.Pool) -> None:
    await create_schema(pool, PROCESSED_EVENTS_DDL)


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
