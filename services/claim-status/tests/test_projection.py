"""The read model is a pure function of the event store: interrupted and resumed at any point, or
rebuilt from scratch beside the live one, it ends with exactly the same rows."""

import asyncio
import random
from typing import Any

import asyncpg
import pytest

from claim_status.application import Claims
from claim_status.read_model import ClaimReadModel
from claim_status.schema import SCHEMA
from claim_status_harness import ClaimLog, opened, rebuild
from claims_shared.database import leaves_no_session_state
from claims_shared.events import AdjusterUpdate
from claims_shared.migrations import migrate
from claims_shared.projection import Projector
from claims_shared.settings import eventsourcing_env
from devinfra.testing import ManualClock


def write_claims(claims: Claims, count: int, updates_each: int) -> int:
    clock, written = ManualClock(), 0
    steps = [
        ("stage_changed", {"stage": "investigating"}),
        ("coverage_updated", {"coverage": "own_vehicle", "status": "investigating"}),
        ("note_added", {"text": "書類を受領しました"}),
    ]
    for n in range(count):
        log = ClaimLog()
        batch: list[AdjusterUpdate] = [opened(log, clock, f"C{n % 7}")]
        batch += [
            log.next(steps[min(i, 2)][0], clock, **steps[min(i, 2)][1])
            for i in range(updates_each - 1)
        ]
        for update in batch:
            claims.try_apply(update)
            written += 1
    return written


async def table_rows(pool: asyncpg.Pool, table: str) -> list[tuple[Any, ...]]:
    rows = await pool.fetch(
        f"SELECT claim_id, customer_id, accident_date, stage, updated_at, "
        f"detail::text FROM {table} ORDER BY claim_id"
    )
    return [tuple(row) for row in rows]


async def test_interrupted_projection_and_rebuild_end_identical(database_url: str) -> None:
    claims = Claims(env=eventsourcing_env(database_url))
    written = await asyncio.to_thread(write_claims, claims, 60, 5)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        await migrate(SCHEMA, database_url)  # projection_positions, as the service's start
        for version in (1, 2):
            await ClaimReadModel(version).create_table(pool)
        interrupted = Projector(
            application=claims, read_model=ClaimReadModel(1), pool=pool, batch_size=7
        )
        rng = random.Random(3)
        for _ in range(6):  # cancel mid-batch at random moments, then resume
            task = asyncio.create_task(interrupted.run())
            await asyncio.sleep(rng.uniform(0.01, 0.15))
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        position = await interrupted.catch_up()
        assert position == await asyncio.to_thread(claims.recorder.max_notification_id)

        uninterrupted = Projector(application=claims, read_model=ClaimReadModel(2), pool=pool)
        await uninterrupted.catch_up()
        assert await table_rows(pool, "accidents_v1") == await table_rows(pool, "accidents_v2")
        assert len(await table_rows(pool, "accidents_v1")) == 60

        rebuilt = rebuild(database_url, 3)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "accidents_v3: 60 claims" in rebuilt.stdout
        assert await table_rows(pool, "accidents_v3") == await table_rows(pool, "accidents_v1")
        assert written == 300
    finally:
        await pool.close()
        claims.close()


async def test_two_projection_processes_taking_turns_end_with_every_update(
    database_url: str,
) -> None:
    """A projection writes each row only if it is still at the sequence its memory holds; when
    another process (a restarted or a second follower) moved the row on meanwhile, it reads the
    row again and folds onto that, instead of overwriting it from its stale memory."""
    claims = Claims(env=eventsourcing_env(database_url))
    clock, logs = ManualClock(), [ClaimLog() for _ in range(6)]
    rounds = [[opened(log, clock, "C1") for log in logs]] + [
        [log.next("note_added", clock, text=f"メモ {n}") for log in logs] for n in range(4)
    ]
    for batch in rounds:  # round-robin: every batch of 4 touches claims the other one wrote
        await asyncio.to_thread(claims.try_apply_many, batch)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    try:
        await migrate(SCHEMA, database_url)
        for version in (4, 5):
            await ClaimReadModel(version).create_table(pool)
        turns = [
            Projector(application=claims, read_model=ClaimReadModel(4), pool=pool, batch_size=4)
            for _ in range(2)
        ]
        position, turn = await turns[0].load_position(), 0
        while (moved := await turns[turn % 2].step(position)) != position:
            position, turn = moved, turn + 1
        assert turn >= 8  # 30 updates (and 6 openings), 4 a batch, taking turns
        alone = Projector(application=claims, read_model=ClaimReadModel(5), pool=pool)
        await alone.catch_up()
        rows = await table_rows(pool, "accidents_v4")
        assert rows == await table_rows(pool, "accidents_v5")
        assert len(rows) == 6
        assert all('"メモ 3"' in row[-1] for row in rows)
    finally:
        await pool.close()
        claims.close()


async def test_a_usual_batch_is_written_with_its_position_in_one_statement(
    database_url: str,
) -> None:
    """No BEGIN, no separate position, no COMMIT: once the claims are held in memory a batch
    costs the projection two statements, the read of the event store and the write."""
    claims = Claims(env=eventsourcing_env(database_url))
    clock, logs = ManualClock(), [ClaimLog() for _ in range(4)]
    statements: list[str] = []

    async def logged(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(lambda record: statements.append(record.query.split()[0]))

    await asyncio.to_thread(claims.try_apply_many, [opened(log, clock, "C1") for log in logs])
    pool = await asyncpg.create_pool(  # as the service's pools: no reset on release
        database_url, min_size=1, max_size=1, init=logged, reset=leaves_no_session_state
    )
    try:
        await migrate(SCHEMA, database_url)
        await ClaimReadModel(6).create_table(pool)
        projector = Projector(application=claims, read_model=ClaimReadModel(6), pool=pool)
        first = await projector.catch_up()
        notes = [log.next("note_added", clock, text="追加のメモ") for log in logs]
        await asyncio.to_thread(claims.try_apply_many, notes)
        statements.clear()
        position = await projector.step(first)

        assert statements == ["SELECT", "WITH"]
        assert position == await asyncio.to_thread(claims.recorder.max_notification_id)
        assert position == await pool.fetchval(
            "SELECT notification_id FROM projection_positions WHERE projection = 'accidents:v6'"
        )
        assert await pool.fetchval("SELECT sum(sequence) FROM accidents_v6") == 4 * 2
    finally:
        await pool.close()
        claims.close()


async def test_a_replay_onto_rows_already_written_leaves_them_as_they_were(
    database_url: str,
) -> None:
    """A claim a batch opens is taken as new without reading its row; when the row is there
    after all (the batch replayed after a crash, by a process that holds nothing), it is read
    under a lock and nothing is folded twice."""
    claims = Claims(env=eventsourcing_env(database_url))
    await asyncio.to_thread(write_claims, claims, 5, 3)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await migrate(SCHEMA, database_url)
        await ClaimReadModel(8).create_table(pool)
        end = await Projector(
            application=claims, read_model=ClaimReadModel(8), pool=pool
        ).catch_up()
        written = await table_rows(pool, "accidents_v8")
        replay = Projector(
            application=claims, read_model=ClaimReadModel(8), pool=pool, batch_size=4
        )
        position = 0
        while (moved := await replay.step(position)) != position:
            position = moved
        assert position == end
        assert await table_rows(pool, "accidents_v8") == written
        assert await pool.fetchval("SELECT sum(sequence) FROM accidents_v8") == 5 * 3
    finally:
        await pool.close()
        claims.close()


async def test_rows_are_not_kept_when_their_position_cannot_be_written(database_url: str) -> None:
    """The rows and the position are one statement: when the position fails, no row of the
    batch stays written (in the one statement and in the transaction tried after it)."""
    claims = Claims(env=eventsourcing_env(database_url))
    await asyncio.to_thread(write_claims, claims, 3, 2)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await migrate(SCHEMA, database_url)
        read_model = ClaimReadModel(7)
        await read_model.create_table(pool)
        await pool.execute(REFUSE_POSITIONS)
        projector = Projector(application=claims, read_model=read_model, pool=pool)
        with pytest.raises(asyncpg.RaiseError, match="positions refused"):
            await projector.step(0)
        assert await pool.fetchval("SELECT count(*) FROM accidents_v7") == 0
        assert await pool.fetchval("SELECT count(*) FROM projection_positions") == 0

        await pool.execute("DROP TRIGGER refuse_positions ON projection_positions")
        assert await projector.catch_up() == 9  # 3 claims: registered and 2 updates each
        assert await pool.fetchval("SELECT sum(sequence) FROM accidents_v7") == 3 * 2
    finally:
        await pool.close()
        claims.close()


REFUSE_POSITIONS = """
CREATE FUNCTION refuse_positions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'positions refused'; END $$;
CREATE TRIGGER refuse_positions BEFORE INSERT OR UPDATE ON projection_positions
    FOR EACH ROW EXECUTE FUNCTION refuse_positions();
"""
