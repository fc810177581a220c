"""claim-status's tables as the release before migrations made them at start-up.

IF NOT EXISTS because databases of that release hold them already: there this revision changes
nothing and is recorded as applied."""

from alembic import op

from claims_shared.schema import projection_positions_ddl, relay_positions_ddl

revision: str = "claim_status_0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS held_updates (
            update_id text        PRIMARY KEY,
            claim_id  text        NOT NULL,
            sequence  int         NOT NULL,
            payload   jsonb       NOT NULL,
            held_at   timestamptz NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX IF NOT EXISTS held_updates_claim ON held_updates (claim_id, sequence)")
    op.execute(projection_positions_ddl())
    op.execute(relay_positions_ddl())


def downgrade() -> None:
    raise NotImplementedError("forward only: undo with a new revision")
