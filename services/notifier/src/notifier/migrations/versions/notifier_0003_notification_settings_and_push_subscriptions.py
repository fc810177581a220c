"""The customer's notification settings and the browsers' push subscriptions.

notification_settings: per customer and kind of notice (status_changed, action_requested,
message_received) whether it is mailed and pushed; no row means the defaults (mail on, push off).
Security notices (password changed, lock-out, new sign-in) are always sent and are not here.
push_subscriptions: each browser's Web Push subscription (its endpoint and keys), by customer."""

from claims_shared.migrations import execute, forward_only

revision: str = "notifier_0003"
down_revision: str | None = "notifier_0002"


def upgrade() -> None:
    execute(
        """
        CREATE TABLE notification_settings (
            customer_id text        NOT NULL,
            kind        text        NOT NULL CHECK (kind IN
                ('status_changed', 'action_requested', 'message_received')),
            mail        boolean     NOT NULL,
            push        boolean     NOT NULL,
            updated_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (customer_id, kind)
        )
        """,
        """
        CREATE TABLE push_subscriptions (
            subscription_id uuid        PRIMARY KEY,
            customer_id     text        NOT NULL,
            endpoint        text        NOT NULL UNIQUE,
            p256dh          text        NOT NULL,
            auth            text        NOT NULL,
            created_at      timestamptz NOT NULL DEFAULT now()
        )
        """,
        "CREATE INDEX push_subscriptions_customer ON push_subscriptions (customer_id)",
    )


downgrade = forward_only
