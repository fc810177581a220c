"""registration's tables as the release before migrations made them at start-up.

IF NOT EXISTS because databases of that release hold them already: there this revision changes
nothing and is recorded as applied."""

from alembic import op

from claims_shared.schema import failure_records_ddl, processed_events_ddl, relay_positions_ddl

revision: str = "registration_0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS policies (
            policy_number   text PRIMARY KEY,
            contract_type   text NOT NULL,
            customer_id     text NOT NULL,
            full_name       text NOT NULL,
            full_name_kana  text NOT NULL,
            date_of_birth   date NOT NULL,
            code_state      text NOT NULL,
            code_hash       text,
            code_expires_on date,
            valid_from      date NOT NULL,
            valid_to        date NOT NULL,
            recorded_at     timestamptz NOT NULL
        )
        """
    )
    op.execute(processed_events_ddl())
    op.execute(failure_records_ddl())
    op.execute(relay_positions_ddl())


def downgrade() -> None:
    raise NotImplementedError("forward only: undo with a new revision")
