-- registration's tables as the release before migrations (git 61aab85) created them at
-- start-up: registration/policies.py and claims_shared idempotency.py, throttle.py, outbox.py,
-- copied as they were. Then a row in each, as a running registration leaves them.
CREATE TABLE IF NOT EXISTS policies (
    policy_number   text PRIMARY KEY,
    contract_type   text NOT NULL,
    customer_id     text NOT NULL,
    full_name       text NOT NULL,
    full_name_kana  text NOT NULL,
    date_of_birth   date NOT NULL,
    code_state      text NOT NULL,
    code_hash       text,
    code_expires_on date,
    valid_from      date NOT NULL,
    valid_to        date NOT NULL,
    recorded_at     timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS failure_records (
    subject         text        PRIMARY KEY,
    failures        int         NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz
);
CREATE TABLE IF NOT EXISTS relay_positions (
    relay           text        PRIMARY KEY,
    notification_id bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO policies VALUES
    ('A-2026-000001', 'individual', 'C-000001', '山田 太郎', 'ヤマダ タロウ', '1980-04-01', 'issued', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', '2026-12-31', '2026-01-01', '2026-12-31', '2026-01-05 09:00:00+09'),
    ('A-2026-000003', 'individual', 'C-000003', '佐藤 花子', 'サトウ ハナコ', '1975-07-07', 'masked', NULL, NULL, '2026-01-01', '2026-12-31', '2026-01-05 09:00:00+09');
INSERT INTO processed_events VALUES ('registration:policies', '0b5e2c1a-7d3f-4e8b-9a6c-1f2e3d4c5b6a', '2026-01-05 09:00:01+09');
INSERT INTO failure_records VALUES ('procedure-code:A-2026-000001', 2, '2026-02-01 12:00:00+09', NULL);
INSERT INTO relay_positions VALUES ('relay:registration:Registrations', 17, '2026-02-01 12:00:00+09');
