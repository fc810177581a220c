"""identity's tables as the release before migrations made them at start-up.

signing_keys, refresh_tokens and account_emails, and the shared failure_records,
projection_positions and relay_positions. IF NOT EXISTS: claims_shared.migrations says why."""

from claims_shared.migrations import execute, forward_only
from claims_shared.schema import failure_records_ddl, projection_positions_ddl, relay_positions_ddl

revision: str = "identity_0001"
down_revision: str | None = None


def upgrade() -> None:
    execute(
        """
        CREATE TABLE IF NOT EXISTS signing_keys (
            kid         text        PRIMARY KEY,
            private_key bytea       NOT NULL,
            public_jwk  jsonb       NOT NULL,
            created_at  timestamptz NOT NULL,
            retired_at  timestamptz
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS refresh_tokens (
            token_hash text        PRIMARY KEY,
            family_id  uuid        NOT NULL,
            user_id    uuid        NOT NULL,
            issued_at  timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at    timestamptz,
            revoked_at timestamptz
        )
        """,
        "CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id)",
        "CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens (user_id)",
        """
        CREATE TABLE IF NOT EXISTS account_emails (
            email      text PRIMARY KEY,
            account_id uuid NOT NULL UNIQUE
        )
        """,
        failure_records_ddl(),
        projection_positions_ddl(),
        relay_positions_ddl(),
    )


downgrade = forward_only
