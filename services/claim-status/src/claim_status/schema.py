"""claim-status's tables, as its migrations (claim_status/migrations/versions) leave them.
Queries use asyncpg and plain SQL; these descriptions exist so a test can compare them with a
migrated database, and must change together with every revision that changes a table.

Not here: the customers' read model `accidents_v<N>` (claim_status.read_model). Its version is
chosen at run time (CLAIM_STATUS_READ_MODEL_VERSION, `python -m claim_status.rebuild
--version N`) and its shape changes by a rebuild into a new version, never by ALTER, so the
projection creates the table of the version it is given, as eventsourcing creates its own."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from claim_status.application import Claims
from claim_status.correspondence import Correspondence
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

claim_documents = Table(  # each upload, received or quarantined (Correspondence's projection)
    "claim_documents",
    metadata,
    Column("document_id", UUID, primary_key=True),
    Column("claim_id", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("action_id", Text),
    Column("file_name", Text, nullable=False),
    Column("content_type", Text, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Index("claim_documents_claim", "claim_id", "submitted_at"),
    Index("claim_documents_customer", "customer_id", "submitted_at"),
)

claim_messages = Table(  # the customer's messages on a claim's thread
    "claim_messages",
    metadata,
    Column("message_id", UUID, primary_key=True),
    Column("claim_id", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=False),
    Index("claim_messages_claim", "claim_id", "posted_at"),
    Index("claim_messages_customer", "customer_id", "posted_at"),
)

claim_threads = Table(  # how far the customer has read the handler's messages (既読)
    "claim_threads",
    metadata,
    Column("claim_id", Text, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("read_up_to", Text),
    Column("read_at", DateTime(timezone=True)),
)

claim_stage_durations = Table(  # each closed claim's time in each stage (typical_durations)
    "claim_stage_durations",
    metadata,
    Column("claim_id", Text, primary_key=True),
    Column("stage", Text, primary_key=True),
    Column("seconds", Double, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False),
    Index("claim_stage_durations_closed", "closed_at", "stage"),
)

projection_positions = shared.projection_positions(metadata)
relay_positions = shared.relay_positions(metadata)

SCHEMA = ServiceSchema(
    "claim_status",
    metadata,
    (
        *eventsourcing_tables(Claims.name),
        *eventsourcing_tables(Correspondence.name),
        r"accidents_v\d+",
    ),
)
