"""identity's tables as the release before migrations made them at start-up.

IF NOT EXISTS because databases of that release hold them already: there this revision changes
nothing and is recorded as applied."""

from alembic import op

from claims_shared.schema import failure_records_ddl, projection_positions_ddl, relay_positions_ddl

revision: str = "identity_0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS signing_keys (
            kid         text        PRIMARY KEY,
            private_key bytea       NOT NULL,
            public_jwk  jsonb       NOT NULL,
            created_at  timestamptz NOT NULL,
            retired_at  timestamptz
        )
        """
    )
    op.execute(
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
        """
    )
    op.execute("CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id)")
    op.execute("CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens (user_id)")
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS account_emails (
            email      text PRIMARY KEY,
            account_id uuid NOT NULL UNIQUE
        )
        """
    )
    op.execute(failure_records_ddl())
    op.execute(projection_positions_ddl())
    op.execute(relay_positions_ddl())


def downgrade() -> None:
    raise NotImplementedError("forward only: undo with a new revision")
