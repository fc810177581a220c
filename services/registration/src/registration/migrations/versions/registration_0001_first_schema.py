"""registration's tables as the release before migrations made them at start-up.

policies, and the shared processed_events, failure_records and relay_positions.
IF NOT EXISTS: claims_shared.migrations says why."""

from claims_shared.migrations import execute, forward_only
from claims_shared.schema import failure_records_ddl, processed_events_ddl, relay_positions_ddl

revision: str = "registration_0001"
down_revision: str | None = None


def upgrade() -> None:
    execute(
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
        """,
        processed_events_ddl(),
        failure_records_ddl(),
        relay_positions_ddl(),
    )


downgrade = forward_only
