"""Each service's migration history (claims_shared.migrations): it builds what the service's
schema module describes, it takes a database of the release before migrations to head without
losing a row, instances starting together apply it once, and operators run it by command."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Column, MetaData, Text

from claims_shared.migrations import ServiceSchema, applied, differences, head, upgrade
from claims_shared.settings import eventsourcing_env
from devinfra.postgres import server_bindir

PREVIOUS_RELEASE = Path(__file__).parent / "previous_release"
"""`<package>.dump`: each service's database as the release before migrations (git 61aab85) left
it, tables and rows, dumped by pg_dump (custom format, as operators keep backups) and restored as
they restore one. tests/previous_release/README.md says how they were made and how to read one."""
PACKAGES = ["identity", "registration", "claim_status", "notifier"]
PREFIXES = {
    "identity": "IDENTITY_",
    "registration": "REGISTRATION_",
    "claim_status": "CLAIM_STATUS_",
    "notifier": "NOTIFIER_",
}
APPLICATIONS = {  # the event store each service's previous release also held
    "identity": "identity.application:Accounts",
    "registration": "registration.application:Registrations",
    "claim_status": "claim_status.application:Claims",
}


def schema_of(package: str) -> ServiceSchema:
    schema: ServiceSchema = importlib.import_module(f"{package}.schema").SCHEMA
    return schema


@pytest.fixture(params=PACKAGES)
def package(request: pytest.FixtureRequest) -> str:
    """A test that takes it runs once for each service's history."""
    return str(request.param)


@pytest.fixture
def schema(package: str) -> ServiceSchema:
    return schema_of(package)


def create_event_store(package: str, database_url: str) -> None:
    """As the service's start does, outside the migrations: eventsourcing's own tables."""
    if package in APPLICATIONS:
        module, name = APPLICATIONS[package].split(":")
        application = getattr(importlib.import_module(module), name)
        application(env={**eventsourcing_env(database_url), "CREATE_TABLE": "y"}).close()


def contents(database_url: str) -> dict[str, tuple[list[tuple[Any, ...]], list[str]]]:
    """Every table of the database: its columns (name, type, nullable, default) and its rows."""
    found: dict[str, tuple[list[tuple[Any, ...]], list[str]]] = {}
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        for (table,) in tables:
            columns = conn.execute(
                "SELECT column_name, data_type, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = %s ORDER BY ordinal_position",
                [table],
            ).fetchall()
            rows = conn.execute(f'SELECT row_to_json(t)::text FROM "{table}" t').fetchall()
            found[table] = (columns, sorted(row[0] for row in rows))
    return found


def restore_previous_release(package: str, database_url: str) -> None:
    """pg_restore from the Debian binaries the local cluster runs on; --no-owner because the
    dump names the role that made it."""
    done = subprocess.run(
        [
            str(server_bindir() / "pg_restore"),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={database_url}",
            str(PREVIOUS_RELEASE / f"{package}.dump"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_fresh_database_at_head_matches_the_schema_module(
    package: str, schema: ServiceSchema, database_url: str
) -> None:
    upgrade(schema, database_url)
    create_event_store(package, database_url)
    assert applied(database_url) == head(schema)
    assert differences(schema, database_url) == []


def test_a_column_the_migrations_do_not_make_is_a_difference(
    schema: ServiceSchema, database_url: str
) -> None:
    """The check above can fail: a column described in the schema module and added by no
    revision is found."""
    upgrade(schema, database_url)
    described = MetaData()
    for table in schema.metadata.tables.values():
        table.to_metadata(described)
    first = next(iter(described.tables.values()))
    first.append_column(Column("added_without_a_revision", Text))

    found = differences(dataclasses.replace(schema, metadata=described), database_url)

    assert [(kind, table, column.name) for kind, _, table, column in found] == [
        ("add_column", first.name, "added_without_a_revision")
    ]


def test_the_previous_release_database_reaches_head_with_every_row_and_column(
    package: str, schema: ServiceSchema, database_url: str
) -> None:
    restore_previous_release(package, database_url)
    for table, (_, rows) in contents(database_url).items():
        assert rows, f"the dump leaves a row in {table}"
    create_event_store(package, database_url)
    before = contents(database_url)

    upgrade(schema, database_url)

    after = contents(database_url)
    versions = after.pop("alembic_version")[1]
    assert [json.loads(version) for version in versions] == [{"version_num": head(schema)}]
    assert narrowed(after, to=before) == narrowed(before, to=before)
    assert differences(schema, database_url) == []


def narrowed(
    found: dict[str, tuple[list[tuple[Any, ...]], list[str]]],
    to: dict[str, tuple[list[tuple[Any, ...]], list[str]]],
) -> dict[str, tuple[list[tuple[Any, ...]], list[str]]]:
    """`found` (contents) cut to the tables and columns `to` has: later revisions may add
    tables and columns, but every table, column and value the previous release had survives."""
    cut: dict[str, tuple[list[tuple[Any, ...]], list[str]]] = {}
    for table, (columns, _) in to.items():
        names = [column[0] for column in columns]
        found_columns, found_rows = found.get(table, ([], []))
        cut[table] = (
            [column for column in found_columns if column[0] in names],
            sorted(
                json.dumps({name: json.loads(row).get(name) for name in names}, sort_keys=True)
                for row in found_rows
            ),
        )
    return cut


def test_instances_starting_together_apply_the_history_once(database_url: str) -> None:
    """Four processes, each ready to upgrade, told to go at the same moment: without the
    schema lock they race in the catalogue (CREATE TABLE alembic_version twice)."""
    ready = (
        "import sys\n"
        "from claims_shared.migrations import upgrade\n"
        "from identity.schema import SCHEMA\n"
        "print('ready', flush=True)\n"
        "sys.stdin.readline()\n"
        "upgrade(SCHEMA, sys.argv[1])\n"
    )
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", ready, database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in starting:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
    for process in starting:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in starting:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors

    with psycopg.connect(database_url) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(head(schema_of("identity")),)]
    assert differences(schema_of("identity"), database_url) == []


def migrate_command(package: str, database_url: str) -> Callable[..., str]:
    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", f"{package}.migrate", *args],
            env={**os.environ, f"{PREFIXES[package]}DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


def test_operators_upgrade_and_see_the_revision_by_command(
    package: str, schema: ServiceSchema, database_url: str
) -> None:
    migrate = migrate_command(package, database_url)
    revision = head(schema)

    assert migrate("current").strip() == "no revision yet"
    assert revision in migrate()  # upgrade is the default
    assert migrate("current").strip() == f"{revision} (head)"
    assert f"-> {revision} (head)" in migrate("history")
    assert migrate("check").strip() == "no differences"
