"""asyncpg pools, made one way: a bounded pool, and a readiness check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

ReadyCheck = Callable[[], Awaitable[None]]
A = TypeVar("A")


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool used only by this project's code, which leaves no session state behind (see
    `leaves_no_session_state`): asyncpg's reset on release is skipped."""
    pool = await asyncpg.create_pool(
        database_url,
        min_size=1,
        max_size=max_size,
        command_timeout=30,
        reset=leaves_no_session_state,
    )
    assert pool is not None
    return pool


async def leaves_no_session_state(conn: asyncpg.Connection) -> None:
    """The pools' reset on release: nothing to send. asyncpg's default sends
    `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;` on every release, a
    round trip and four statements the server parses and runs, once for every transaction the
    intake, the projection and the relay commit (several per batch) and for every API read.
    Before calling this asyncpg still rolls back a transaction left open and forgets the
    connection's listener callbacks.

    Code on these pools keeps to what makes that safe: a session advisory lock is released in a
    `finally` on the same connection (`start_application`; schema changes take transaction
    locks), a LISTEN is removed before its connection is released (claims_shared.follow), no
    `SET` outside a transaction (`SET LOCAL` only), no cursor `WITH HOLD`. A pool handed to other
    code (a library that sets session variables) must keep asyncpg's reset."""


def pool_ready(pool: asyncpg.Pool) -> ReadyCheck:
    async def check() -> None:
        async with pool.acquire(timeout=2) as conn:
            await conn.fetchval("SELECT 1")

    return check


SCHEMA_LOCK = 72026_1125
"""Any constant: the advisory lock every schema change takes (claims_shared.migrations, the event
store's creation, `create_schema`), so instances starting together change the schema one at a
time and each finds the work of the one before."""


async def create_schema(pool: asyncpg.Pool, *ddl: str) -> None:
    """Run `CREATE ... IF NOT EXISTS` statements one instance at a time: two instances starting
    together otherwise race in the catalogue and one fails (duplicate key in pg_type). Only for
    tables whose name is chosen at run time (claim-status's versioned read model) and tests'
    own tables: a service's tables come from its migrations (claims_shared.migrations)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SCHEMA_LOCK)
        for statement in ddl:
            await conn.execute(statement)


async def start_application(pool: asyncpg.Pool, make: Callable[[], A]) -> A:
    """Construct an eventsourcing application (which creates its event-store tables) under the
    same lock, for the same reason as `create_schema`."""
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", SCHEMA_LOCK)
        try:
            return await asyncio.to_thread(make)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", SCHEMA_LOCK)
