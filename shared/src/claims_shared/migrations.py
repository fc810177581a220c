"""Schema migrations, one way for every service: an Alembic history in the service's package
(`<package>/migrations/versions`, plain SQL through `op.execute`), applied at start-up and by
`python -m <package>.migrate`, under the advisory lock every service's schema set-up takes.

Each service has its own database and so its own history; revision ids carry the package's name
(`identity_0001`), so a history run against another service's database stops at once ("Can't
locate revision") instead of taking that database's revision for its own. The tables a service
holds are also described as SQLAlchemy Core tables in its `schema` module; `differences` compares
them with a database at head (a test fails until the two agree). Queries keep using asyncpg.

A revision file holds what Alembic reads from it (`revision`, `down_revision`, `upgrade`,
`downgrade`) and its SQL; the rest is here: `execute` runs its statements, `forward_only` is its
downgrade. Each service's first revision makes the tables the release before migrations made at
start-up, as it made them, IF NOT EXISTS: databases of that release hold them already, and there
the revision changes nothing and is recorded as applied.

Forward only: the platform's tables hold what events cannot rebuild (signing keys, policies,
held updates, sent mails), so no revision drops them on the way down; a mistake is undone by a
new revision."""

from __future__ import annotations

import argparse
import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, engine, text
from sqlalchemy.pool import NullPool

from claims_shared.database import SCHEMA_LOCK


@dataclass(frozen=True)
class ServiceSchema:
    """A service's migration history (`<package>/migrations`) and the tables it must leave:
    `metadata` describes them, `created_elsewhere` names (as full-match patterns) the tables
    another owner creates, which the comparison leaves out: eventsourcing's event store and
    tracking tables, and read models named at run time."""

    package: str
    metadata: MetaData
    created_elsewhere: tuple[str, ...] = ()

    def is_compared(self, table: str) -> bool:
        return not any(re.fullmatch(pattern, table) for pattern in self.created_elsewhere)


def eventsourcing_tables(application_name: str) -> tuple[str, ...]:
    """The tables eventsourcing's PostgreSQL persistence creates for an application (its
    `<name>_events` and `<name>_tracking`), as patterns for `created_elsewhere`."""
    prefix = re.escape(application_name.lower())
    return (f"{prefix}_events", f"{prefix}_tracking")


_ALEMBIC = threading.Lock()
"""Alembic's `context` and `op` are module-wide proxies: two histories run at once in one
process (tests start several services in one) would write through each other's."""


def sqlalchemy_url(database_url: str) -> engine.URL:
    """The asyncpg-style URL of the settings, for SQLAlchemy's psycopg 3 dialect."""
    return engine.make_url(database_url).set(drivername="postgresql+psycopg")


def alembic_config(schema: ServiceSchema, database_url: str | None = None) -> Config:
    """Built here rather than read from an alembic.ini: the URL comes from the service's settings
    (kept out of ConfigParser, which would read a '%' in a password as interpolation)."""
    config = Config()
    config.set_main_option("script_location", f"{schema.package}:migrations")
    config.attributes["schema"] = schema
    config.attributes["database_url"] = database_url
    return config


def execute(*statements: str) -> None:
    """A revision's `upgrade`: its plain SQL statements in order, in the one transaction
    `run_env` opens for the whole history."""
    for statement in statements:
        op.execute(statement)


def forward_only() -> None:
    """Every revision's `downgrade` (`downgrade = forward_only`): Alembic calls it only when
    asked to go down, which no revision here does."""
    raise NotImplementedError("forward only: undo with a new revision")


def upgrade(schema: ServiceSchema, database_url: str, revision: str = "head") -> None:
    with _ALEMBIC:
        command.upgrade(alembic_config(schema, database_url), revision)


async def migrate(schema: ServiceSchema, database_url: str) -> None:
    """Start-up: bring the service's database to head. Alembic and psycopg block, so in a
    thread; the advisory lock (taken in `run_env`) makes instances starting together wait for
    each other, and each finds the work done."""
    await asyncio.to_thread(upgrade, schema, database_url)


def applied(database_url: str) -> str | None:
    """The revision a database is at (None before the first)."""
    with _connect(database_url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head(schema: ServiceSchema) -> str:
    revision = ScriptDirectory.from_config(alembic_config(schema)).get_current_head()
    assert revision is not None, f"{schema.package} has no migrations"
    return revision


def differences(schema: ServiceSchema, database_url: str) -> list[Any]:
    """What Alembic finds between `schema.metadata` and the database (empty when they agree),
    with the options every comparison here uses."""
    with _connect(database_url) as connection:
        context = MigrationContext.configure(connection, opts=_comparison(schema))
        return list(compare_metadata(context, schema.metadata))


def run_env() -> None:
    """The body of every service's `migrations/env.py`: run the history inside one transaction
    that first takes the schema lock, so instances starting together apply it once."""
    from alembic import context

    schema: ServiceSchema = context.config.attributes["schema"]
    database_url: str | None = context.config.attributes["database_url"]
    if database_url is None:
        raise RuntimeError("this command needs the database: run it with the service's settings")
    with _connect(database_url) as connection:
        context.configure(connection=connection, **_comparison(schema))
        with context.begin_transaction():
            connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": SCHEMA_LOCK})
            context.run_migrations()


def _comparison(schema: ServiceSchema) -> dict[str, Any]:
    def include_name(name: str | None, type_: str, parents: Any) -> bool:
        return type_ != "table" or name is None or schema.is_compared(name)

    return {
        "target_metadata": schema.metadata,
        "include_name": include_name,
        "compare_type": True,
        "compare_server_default": True,
    }


@contextmanager
def _connect(database_url: str) -> Iterator[Connection]:
    """One psycopg connection, no pool: migrations run once per start."""
    connectable = create_engine(sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        with connectable.connect() as connection:
            yield connection
    finally:
        connectable.dispose()


REVISION_TEMPLATE = '''"""{message}"""

from claims_shared.migrations import execute, forward_only

revision: str = "{revision}"
down_revision: str | None = {down_revision}


def upgrade() -> None:
    execute(
        """
        """
    )


downgrade = forward_only
'''


def new_revision(schema: ServiceSchema, message: str) -> Path:
    """Write the next revision file, empty, after the current head: `<package>_<NNNN>_<slug>.py`
    (sequential ids read in order in a listing and in alembic_version)."""
    script = ScriptDirectory.from_config(alembic_config(schema))
    down = script.get_current_head()
    number = sum(1 for _ in script.walk_revisions()) + 1
    revision = f"{schema.package}_{number:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40]
    path = Path(script.versions) / f"{revision}_{slug}.py"
    path.write_text(
        REVISION_TEMPLATE.format(
            message=message.replace('"', "'"),
            revision=revision,
            down_revision=f'"{down}"' if down else "None",
        )
    )
    return path


def main(
    schema: ServiceSchema, database_url: Callable[[], str], argv: Sequence[str] | None = None
) -> int:
    """`python -m <package>.migrate`: upgrade (the default), current, history, check, revision.
    `database_url` reads the service's settings, only for the commands that need the database."""
    parser = argparse.ArgumentParser(prog=f"python -m {schema.package}.migrate")
    commands = parser.add_subparsers(dest="command")
    up = commands.add_parser("upgrade", help="apply the revisions not yet applied (default)")
    up.add_argument("revision", nargs="?", default="head")
    commands.add_parser("current", help="the revision the database is at")
    commands.add_parser("history", help="every revision, newest first")
    commands.add_parser("check", help="fail if the database differs from the schema module")
    new = commands.add_parser("revision", help="write the next revision file, to fill in")
    new.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.command == "history":
        command.history(alembic_config(schema))
    elif args.command == "revision":
        print(new_revision(schema, args.message))
    elif args.command == "current":
        revision = applied(database_url())
        print(f"{revision} (head)" if revision == head(schema) else revision or "no revision yet")
    elif args.command == "check":
        found = differences(schema, database_url())
        for difference in found:
            print(difference)
        print("the database differs from the schema module" if found else "no differences")
        return 1 if found else 0
    else:
        upgrade(schema, database_url(), getattr(args, "revision", "head"))
        took = time.monotonic() - started
        print(f"at {applied(database_url())} ({took:.1f} s)")
    return 0
