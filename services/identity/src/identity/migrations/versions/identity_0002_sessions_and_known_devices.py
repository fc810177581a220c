"""Sessions a customer can see and end, and the devices each account has signed in from.

`sessions`: one row per refresh-token family (the access token's `sid`), with the device it
was started on, worded from the User-Agent as browser and platform (never an address), the
log-in time (the token's `auth_time`, kept through refreshes) and the last refresh. Families
issued before this revision get a row with an unknown device and their first token's time.

`known_devices`: the SHA-256 of each random device id (a cookie on the web, the app's body
field) an account has logged in with, so a log-in from any other device is told by mail."""

from claims_shared.migrations import execute, forward_only

revision: str = "identity_0002"
down_revision: str | None = "identity_0001"


def upgrade() -> None:
    execute(
        """
        CREATE TABLE sessions (
            session_id   uuid        PRIMARY KEY,
            user_id      uuid        NOT NULL,
            browser      text        NOT NULL,
            platform     text        NOT NULL,
            signed_in_at timestamptz NOT NULL,
            last_used_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX sessions_user ON sessions (user_id)",
        """
        INSERT INTO sessions (session_id, user_id, browser, platform, signed_in_at, last_used_at)
        SELECT family_id, min(user_id::text)::uuid, '', '', min(issued_at), max(issued_at)
        FROM refresh_tokens GROUP BY family_id
        """,
        """
        CREATE TABLE known_devices (
            user_id       uuid        NOT NULL,
            device_hash   text        NOT NULL,
            first_seen_at timestamptz NOT NULL,
            last_seen_at  timestamptz NOT NULL,
            PRIMARY KEY (user_id, device_hash)
        )
        """,
    )


downgrade = forward_only
