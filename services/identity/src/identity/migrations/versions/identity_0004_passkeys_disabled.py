"""A passkey disabled when it was found cloned (its sign count went backwards at a sign-in):
`passkeys.disabled_at`, when identity disabled it. A disabled passkey stays in the customer's
list, marked, so they see which one and can remove it; it never signs anyone in again."""

from claims_shared.migrations import execute, forward_only

revision: str = "identity_0004"
down_revision: str | None = "identity_0003"


def upgrade() -> None:
    execute("ALTER TABLE passkeys ADD COLUMN disabled_at timestamptz")


downgrade = forward_only
