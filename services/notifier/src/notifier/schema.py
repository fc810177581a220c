"""notifier's tables, as its migrations (notifier/migrations/versions) leave them. Queries use
asyncpg and plain SQL; these descriptions exist so a test can compare them with a migrated
database, and must change together with every revision that changes a table."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    Uuid,
    text,
)

from claims_shared import schema as shared
from claims_shared.migrations import ServiceSchema

metadata = MetaData()

sent_mails = Table(  # one row per mail the SMTP server accepted, by the event that caused it
    "sent_mails",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

customers = Table(  # where and in which language to write to each customer
    "customers",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("email", Text, nullable=False),
    Column("language", Text, nullable=False),
)

status_notices = Table(  # the one pending mail of each kind per customer and claim
    "status_notices",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("claim_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True, server_default=text("'claim_status_changed'")),
    Column("notice_id", Uuid, nullable=False, unique=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("changes", Integer, nullable=False, server_default=text("1")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Index("status_notices_due", "due_at"),
)

notification_settings = Table(  # which notices each customer gets by mail and by push
    "notification_settings",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("mail", Boolean, nullable=False),
    Column("push", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("kind IN ('status_changed', 'action_requested', 'message_received')"),
)

push_subscriptions = Table(  # each browser's Web Push subscription, by customer
    "push_subscriptions",
    metadata,
    Column("subscription_id", Uuid, primary_key=True),
    Column("customer_id", Text, nullable=False),
    Column("endpoint", Text, nullable=False, unique=True),
    Column("p256dh", Text, nullable=False),
    Column("auth", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Index("push_subscriptions_customer", "customer_id"),
)

processed_events = shared.processed_events(metadata)

SCHEMA = ServiceSchema("notifier", metadata)
