"""notifier's tables as the release before migrations made them at start-up.

IF NOT EXISTS because databases of that release hold them already: there this revision changes
nothing and is recorded as applied."""

from alembic import op

from claims_shared.schema import processed_events_ddl

revision: str = "notifier_0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.execute(processed_events_ddl())
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS sent_mails (
            event_id   text        PRIMARY KEY,
            kind       text        NOT NULL,
            recipient  text        NOT NULL,
            sent_at    timestamptz NOT NULL DEFAULT now()
        )
        """
    )
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS customers (
            customer_id text PRIMARY KEY,
            email       text NOT NULL,
            language    text NOT NULL
        )
        """
    )
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS status_notices (
            customer_id  text        NOT NULL,
            claim_id     text        NOT NULL,
            notice_id    uuid        NOT NULL UNIQUE,
            due_at       timestamptz NOT NULL,
            changes      integer     NOT NULL DEFAULT 1,
            attempts     integer     NOT NULL DEFAULT 0,
            PRIMARY KEY (customer_id, claim_id)
        )
        """
    )
    op.execute("CREATE INDEX IF NOT EXISTS status_notices_due ON status_notices (due_at)")


def downgrade() -> None:
    raise NotImplementedError("forward only: undo with a new revision")
