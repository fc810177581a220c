"""The tables several services hold, each said once: the SQL a service's first migration runs,
and the SQLAlchemy Core `Table` its schema module describes (claims_shared.migrations checks the
two agree). Each service holds its own copy of a table, in its own database.

The DDL functions are history: they return what the first revision of every service that holds
the table ran, and must never change. A later shape is a new revision in each of those services
(`op.execute("ALTER TABLE ...")`), and a change of the `Table` below to match."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, Table, Text, text


def processed_events_ddl() -> str:
    """claims_shared.idempotency: the event ids a consumer has applied, one transaction with
    the effect."""
    return """
    CREATE TABLE IF NOT EXISTS processed_events (
        consumer     text        NOT NULL,
        event_id     text        NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
    )
    """


def failure_records_ddl() -> str:
    """claims_shared.throttle.FailureLog: failed attempts by subject."""
    return """
    CREATE TABLE IF NOT EXISTS failure_records (
        subject         text        PRIMARY KEY,
        failures        int         NOT NULL,
        last_failure_at timestamptz NOT NULL,
        locked_until    timestamptz
    )
    """


def projection_positions_ddl() -> str:
    """claims_shared.projection: how far each read model has followed the event store."""
    return _positions_ddl("projection_positions", "projection")


def relay_positions_ddl() -> str:
    """claims_shared.outbox: how far the relay has published the event store to Kafka."""
    return _positions_ddl("relay_positions", "relay")


def _positions_ddl(name: str, follower: str) -> str:
    """One shape for both: a follower's name and the last notification id it has passed on."""
    return f"""
    CREATE TABLE IF NOT EXISTS {name} (
        {follower:<15} text        PRIMARY KEY,
        notification_id bigint      NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now()
    )
    """


NOW = text("now()")


def processed_events(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    )


def failure_records(metadata: MetaData) -> Table:
    return Table(
        "failure_records",
        metadata,
        Column("subject", Text, primary_key=True),
        Column("failures", Integer, nullable=False),
        Column("last_failure_at", DateTime(timezone=True), nullable=False),
        Column("locked_until", DateTime(timezone=True)),
    )


def projection_positions(metadata: MetaData) -> Table:
    return _positions("projection_positions", "projection", metadata)


def relay_positions(metadata: MetaData) -> Table:
    return _positions("relay_positions", "relay", metadata)


def _positions(name: str, follower: str, metadata: MetaData) -> Table:
    return Table(
        name,
        metadata,
        Column(follower, Text, primary_key=True),
        Column("notification_id", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    )
