"""identity's tables, as its migrations (identity/migrations/versions) leave them. Queries use
asyncpg and plain SQL; these descriptions exist so a test can compare them with a migrated
database, and must change together with every revision that changes a table."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from claims_shared import schema as shared
from claims_shared.migrations import ServiceSchema, eventsourcing_tables
from identity.application import Accounts

metadata = MetaData()

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    Column("private_key", LargeBinary, nullable=False),  # sealed with the key-encryption key
    Column("public_jwk", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("family_id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("refresh_tokens_family", "family_id"),
    Index("refresh_tokens_user", "user_id"),
)

account_emails = Table(  # the log-in lookup, a read model of the Account events
    "account_emails",
    metadata,
    Column("email", Text, primary_key=True),
    Column("account_id", Uuid, nullable=False, unique=True),
)

sessions = Table(  # one row per refresh-token family: the token's sid
    "sessions",
    metadata,
    Column("session_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("browser", Text, nullable=False),  # "" when the User-Agent named none we know
    Column("platform", Text, nullable=False),
    Column("signed_in_at", DateTime(timezone=True), nullable=False),  # the token's auth_time
    Column("last_used_at", DateTime(timezone=True), nullable=False),
    Index("sessions_user", "user_id"),
)

known_devices = Table(  # the devices an account has logged in from, by SHA-256 of their id
    "known_devices",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("device_hash", Text, primary_key=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

failure_records = shared.failure_records(metadata)
projection_positions = shared.projection_positions(metadata)
relay_positions = shared.relay_positions(metadata)

passkeys = Table(  # WebAuthn credentials, found by credential id at a usernameless sign-in
    "passkeys",
    metadata,
    Column("passkey_id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("credential_id", LargeBinary, nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),  # COSE, as the authenticator gave it
    Column("sign_count", BigInteger, nullable=False),
    Column("transports", ARRAY(Text), nullable=False),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),  # found cloned (identity_0004)
    Index("passkeys_user", "user_id"),
)

webauthn_challenges = Table(  # each challenge used once, until it expires
    "webauthn_challenges",
    metadata,
    Column("challenge_id", Uuid, primary_key=True),
    Column("challenge", LargeBinary, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("user_id", Uuid),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("webauthn_challenges_expiry", "expires_at"),
)

SCHEMA = ServiceSchema("identity", metadata, eventsourcing_tables(Accounts.name))
