"""claim-status's tables, as its migrations (claim_status/migrations/versions) leave them.
Queries use asyncpg and plain SQL; these descriptions exist so a test can compare them with a
migrated database, and must change together with every revision that changes a table.

Not here: the customers' read model `accidents_v<N>` (claim_status.read_model). Its version is
chosen at run time (CLAIM_STATUS_READ_MODEL_VERSION, `python -m claim_status.rebuild
--version N`) and its shape changes by a rebuild into a new version, never by ALTER, so the
projection creates the table of the version it is given, as eventsourcing creates its own."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from claim_status.application import Claims
from claims_shared import schema as shared
from claims_shared.migrations import ServiceSchema, eventsourcing_tables

metadata = MetaData()

held_updates = Table(  # updates that arrived before the one they follow
    "held_updates",
    metadata,
    Column("update_id", Text, primary_key=True),
    Column("claim_id", Text, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Index("held_updates_claim", "claim_id", "sequence"),
)

projection_positions = shared.projection_positions(metadata)
relay_positions = shared.relay_positions(metadata)

SCHEMA = ServiceSchema(
    "claim_status", metadata, (*eventsourcing_tables(Claims.name), r"accidents_v\d+")
)
