"""registration's tables, as its migrations (registration/migrations/versions) leave them.
Queries use asyncpg and plain SQL; these descriptions exist so a test can compare them with a
migrated database, and must change together with every revision that changes a table."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, MetaData, Table, Text

from claims_shared import schema as shared
from claims_shared.migrations import ServiceSchema, eventsourcing_tables
from registration.application import Registrations

metadata = MetaData()

policies = Table(  # the policy eligibility view, from policy.records
    "policies",
    metadata,
    Column("policy_number", Text, primary_key=True),
    Column("contract_type", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("full_name", Text, nullable=False),
    Column("full_name_kana", Text, nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("code_state", Text, nullable=False),
    Column("code_hash", Text),
    Column("code_expires_on", Date),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

processed_events = shared.processed_events(metadata)
failure_records = shared.failure_records(metadata)
relay_positions = shared.relay_positions(metadata)

SCHEMA = ServiceSchema("registration", metadata, eventsourcing_tables(Registrations.name))
