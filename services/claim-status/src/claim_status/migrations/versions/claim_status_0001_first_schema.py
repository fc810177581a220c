"""claim-status's tables as the release before migrations made them at start-up.

held_updates, and the shared projection_positions and relay_positions. IF NOT EXISTS:
claims_shared.migrations says why."""

from claims_shared.migrations import execute, forward_only
from claims_shared.schema import projection_positions_ddl, relay_positions_ddl

revision: str = "claim_status_0001"
down_revision: str | None = None


def upgrade() -> None:
    execute(
        """
        CREATE TABLE IF NOT EXISTS held_updates (
            update_id text        PRIMARY KEY,
            claim_id  text        NOT NULL,
            sequence  int         NOT NULL,
            payload   jsonb       NOT NULL,
            held_at   timestamptz NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS held_updates_claim ON held_updates (claim_id, sequence)",
        projection_positions_ddl(),
        relay_positions_ddl(),
    )


downgrade = forward_only
