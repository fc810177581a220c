-- claim-status's tables as the release before migrations (git 61aab85) created them at
-- start-up: claim_status/intake.py, read_model.py (version 1, the default) and claims_shared
-- projection.py, outbox.py, copied as they were. Then a row in each, as a running claim-status
-- leaves them.
CREATE TABLE IF NOT EXISTS held_updates (
    update_id text        PRIMARY KEY,
    claim_id  text        NOT NULL,
    sequence  int         NOT NULL,
    payload   jsonb       NOT NULL,
    held_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS held_updates_claim ON held_updates (claim_id, sequence);
CREATE TABLE IF NOT EXISTS projection_positions (
    projection      text        PRIMARY KEY,
    notification_id bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS accidents_v1 (
    claim_id      text        PRIMARY KEY,
    customer_id   text        NOT NULL,
    accident_date date        NOT NULL,
    stage         text        NOT NULL,
    sequence      int         NOT NULL,
    updated_at    timestamptz NOT NULL,
    detail        jsonb       NOT NULL
);
CREATE INDEX IF NOT EXISTS accidents_v1_customer
    ON accidents_v1 (customer_id, accident_date DESC, claim_id DESC);
CREATE TABLE IF NOT EXISTS relay_positions (
    relay           text        PRIMARY KEY,
    notification_id bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO held_updates VALUES
    ('5d1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b', 'CL-2026-0001', 3, '{"type": "note_added", "sequence": 3, "data": {"text": "書類を受領しました"}}', '2026-03-01 10:00:00+09');
INSERT INTO projection_positions VALUES ('accidents:v1', 120, '2026-03-01 10:00:00+09');
INSERT INTO accidents_v1 VALUES
    ('CL-2026-0001', 'C-000001', '2026-02-27', 'investigating', 2, '2026-03-01 09:59:00+09', '{"claim_id": "CL-2026-0001", "stage": "investigating", "sequence": 2}');
INSERT INTO relay_positions VALUES ('relay:claim-status:Claims', 119, '2026-03-01 10:00:00+09');
