"""How long each closed claim spent in each stage, for the typical durations (「通常◯日程度」) the
progress indicator shows: written by the read model in its transaction when a claim closes
(claim_status.typical_durations), so a rebuild fills it too."""

from claims_shared.migrations import execute, forward_only

revision: str = "claim_status_0003"
down_revision: str | None = "claim_status_0002"


def upgrade() -> None:
    execute(
        """
        CREATE TABLE claim_stage_durations (
            claim_id  text             NOT NULL,
            stage     text             NOT NULL,
            seconds   double precision NOT NULL,
            closed_at timestamptz      NOT NULL,
            PRIMARY KEY (claim_id, stage)
        )
        """,
        "CREATE INDEX claim_stage_durations_closed ON claim_stage_durations (closed_at, stage)",
    )


downgrade = forward_only
