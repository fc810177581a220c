-- identity's tables as the release before migrations (git 61aab85) created them at start-up:
-- identity/tokens.py, sessions.py, lookup.py and claims_shared throttle.py, projection.py,
-- outbox.py, copied as they were. Then a row in each, as a running identity leaves them.
CREATE TABLE IF NOT EXISTS signing_keys (
    kid         text        PRIMARY KEY,
    private_key bytea       NOT NULL,
    public_jwk  jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    retired_at  timestamptz
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token_hash text        PRIMARY KEY,
    family_id  uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens (user_id);
CREATE TABLE IF NOT EXISTS failure_records (
    subject         text        PRIMARY KEY,
    failures        int         NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz
);
CREATE TABLE IF NOT EXISTS projection_positions (
    projection      text        PRIMARY KEY,
    notification_id bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS account_emails (
    email      text PRIMARY KEY,
    account_id uuid NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS relay_positions (
    relay           text        PRIMARY KEY,
    notification_id bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO signing_keys VALUES
    ('k-2025-01', '\x5365616c6564', '{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k-2025-01"}', '2025-01-06 09:00:00+09', '2025-04-01 09:00:00+09'),
    ('k-2025-04', '\x4e657765724b6579', '{"kty": "OKP", "crv": "Ed25519", "x": "xIaaPcHURo11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlr", "kid": "k-2025-04"}', '2025-04-01 09:00:00+09', NULL);
INSERT INTO refresh_tokens VALUES
    ('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '2f1c6e1e-8a3b-4c51-9d0e-6b7f2a1c3d4e', '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d', '2025-05-01 10:00:00+09', '2025-05-31 10:00:00+09', '2025-05-02 08:00:00+09', NULL);
INSERT INTO failure_records VALUES
    ('log-in:taro@example.jp', 3, '2025-05-02 08:01:00+09', NULL),
    ('log-in:unknown@example.jp', 10, '2025-05-02 08:05:00+09', '2025-05-02 08:35:00+09');
INSERT INTO projection_positions VALUES ('account_emails', 42, '2025-05-02 08:00:00+09');
INSERT INTO account_emails VALUES ('taro@example.jp', '7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d');
INSERT INTO relay_positions VALUES ('relay:identity:Accounts', 41, '2025-05-02 08:00:00+09');
