"""Passkeys (WebAuthn discoverable credentials) and the challenges of their ceremonies.

`passkeys`: one row per credential a customer registered: its id and COSE public key as the
authenticator gave them, the sign count last seen (a count going backwards means a cloned
credential), the transports the browser reported, the name the customer sees, and when it was
added and last used. The credential id is unique across accounts, so a sign-in finds its owner
from the credential alone (usernameless).

`webauthn_challenges`: each challenge handed out, kept server-side until it is used once or
expires; a registration's is bound to the account that asked for it."""

from claims_shared.migrations import execute, forward_only

revision: str = "identity_0003"
down_revision: str | None = "identity_0002"


def upgrade() -> None:
    execute(
        """
        CREATE TABLE passkeys (
            passkey_id    uuid        PRIMARY KEY,
            user_id       uuid        NOT NULL,
            credential_id bytea       NOT NULL UNIQUE,
            public_key    bytea       NOT NULL,
            sign_count    bigint      NOT NULL,
            transports    text[]      NOT NULL,
            name          text        NOT NULL,
            created_at    timestamptz NOT NULL,
            last_used_at  timestamptz
        )
        """,
        "CREATE INDEX passkeys_user ON passkeys (user_id)",
        """
        CREATE TABLE webauthn_challenges (
            challenge_id uuid        PRIMARY KEY,
            challenge    bytea       NOT NULL,
            purpose      text        NOT NULL,
            user_id      uuid,
            expires_at   timestamptz NOT NULL
        )
        """,
        "CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at)",
    )


downgrade = forward_only
