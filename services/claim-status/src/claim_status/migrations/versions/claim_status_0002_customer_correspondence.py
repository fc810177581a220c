"""What customers send their claim's handler, as the Correspondence's projection keeps it.

claim_documents: each upload (received or quarantined) with the request it answers;
claim_messages: the customer's messages; claim_threads: how far the customer has read the
handler's messages. The handler's answers are in the claim's document (accidents_v<N>)."""

from claims_shared.migrations import execute, forward_only

revision: str = "claim_status_0002"
down_revision: str | None = "claim_status_0001"


def upgrade() -> None:
    execute(
        """
        CREATE TABLE claim_documents (
            document_id  uuid        PRIMARY KEY,
            claim_id     text        NOT NULL,
            customer_id  text        NOT NULL,
            action_id    text,
            file_name    text        NOT NULL,
            content_type text        NOT NULL,
            size_bytes   bigint      NOT NULL,
            sha256       text        NOT NULL,
            state        text        NOT NULL,
            submitted_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX claim_documents_claim ON claim_documents (claim_id, submitted_at)",
        "CREATE INDEX claim_documents_customer ON claim_documents (customer_id, submitted_at)",
        """
        CREATE TABLE claim_messages (
            message_id  uuid        PRIMARY KEY,
            claim_id    text        NOT NULL,
            customer_id text        NOT NULL,
            text        text        NOT NULL,
            posted_at   timestamptz NOT NULL
        )
        """,
        "CREATE INDEX claim_messages_claim ON claim_messages (claim_id, posted_at)",
        "CREATE INDEX claim_messages_customer ON claim_messages (customer_id, posted_at)",
        """
        CREATE TABLE claim_threads (
            claim_id    text        PRIMARY KEY,
            customer_id text        NOT NULL,
            read_up_to  text,
            read_at     timestamptz
        )
        """,
    )


downgrade = forward_only
