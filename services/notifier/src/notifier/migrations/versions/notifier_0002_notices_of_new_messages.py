"""Notices of new messages from the handler beside status notices.

A claim may wait with one notice of each kind (the mail template it sends: claim_status_changed,
new_message), so a handler's message is never folded into a status notice nor the other way
round. Notices waiting when this runs are status notices."""

from claims_shared.migrations import execute, forward_only

revision: str = "notifier_0002"
down_revision: str | None = "notifier_0001"


def upgrade() -> None:
    execute(
        "ALTER TABLE status_notices ADD COLUMN kind text NOT NULL DEFAULT 'claim_status_changed'",
        "ALTER TABLE status_notices DROP CONSTRAINT status_notices_pkey",
        "ALTER TABLE status_notices ADD PRIMARY KEY (customer_id, claim_id, kind)",
    )


downgrade = forward_only
