"""The services' pools skip asyncpg's reset query on release (claims_shared.database): what the
next user of a connection can rely on without it, and what it must not leave behind."""

from __future__ import annotations

import asyncio

from claims_shared.database import SCHEMA_LOCK, create_pool, start_application


async def test_a_release_sends_no_reset_and_still_rolls_back_an_open_transaction(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SET application_name = 'left behind'")
            await conn.execute("BEGIN")
            await conn.execute("CREATE TEMP TABLE not_kept (n int)")
        async with pool.acquire() as conn:
            # RESET ALL was not sent: a session setting survives the release (the reason such
            # settings are not made on these pools) ...
            assert await conn.fetchval("SHOW application_name") == "left behind"
            # ... and the transaction left open was rolled back, not carried over
            assert await conn.fetchval("SELECT to_regclass('pg_temp.not_kept')") is None
            assert not conn.is_in_transaction()
    finally:
        await pool.close()


async def test_starting_an_application_leaves_no_advisory_lock_on_its_connection(
    database_url: str,
) -> None:
    pool = await create_pool(database_url, max_size=1)
    try:
        assert await start_application(pool, lambda: "started") == "started"
        held = await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = "
            "pg_backend_pid() AND objid = $1::bigint::oid",
            SCHEMA_LOCK & 0xFFFFFFFF,
        )
        assert held == 0
        other = await create_pool(database_url, max_size=1)
        try:  # another instance takes the schema lock at once
            async with other.acquire() as conn:
                got = await asyncio.wait_for(
                    conn.fetchval("SELECT pg_try_advisory_lock($1)", SCHEMA_LOCK), 5
                )
                assert got is True
                await conn.execute("SELECT pg_advisory_unlock($1)", SCHEMA_LOCK)
        finally:
            await other.close()
    finally:
        await pool.close()
