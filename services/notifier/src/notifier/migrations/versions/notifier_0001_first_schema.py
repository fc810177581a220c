"""notifier's tables as the release before migrations made them at start-up.

sent_mails, customers and status_notices, and the shared processed_events. IF NOT EXISTS:
claims_shared.migrations says why."""

from claims_shared.migrations import execute, forward_only
from claims_shared.schema import processed_events_ddl

revision: str = "notifier_0001"
down_revision: str | None = None


def upgrade() -> None:
    execute(
        processed_events_ddl(),
        """
        CREATE TABLE IF NOT EXISTS sent_mails (
            event_id   text        PRIMARY KEY,
            kind       text        NOT NULL,
            recipient  text        NOT NULL,
            sent_at    timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS customers (
            customer_id text PRIMARY KEY,
            email       text NOT NULL,
            language    text NOT NULL
        )
        """,
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
        """,
        "CREATE INDEX IF NOT EXISTS status_notices_due ON status_notices (due_at)",
    )


downgrade = forward_only
