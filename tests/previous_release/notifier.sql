-- notifier's tables as the release before migrations (git 61aab85) created them at start-up:
-- notifier/sending.py, handlers.py, notices.py and claims_shared idempotency.py, copied as they
-- were. Then a row in each, as a running notifier leaves them.
CREATE TABLE IF NOT EXISTS processed_events (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE IF NOT EXISTS sent_mails (
    event_id   text        PRIMARY KEY,
    kind       text        NOT NULL,
    recipient  text        NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS customers (
    customer_id text PRIMARY KEY,
    email       text NOT NULL,
    language    text NOT NULL
);
CREATE TABLE IF NOT EXISTS status_notices (
    customer_id  text        NOT NULL,
    claim_id     text        NOT NULL,
    notice_id    uuid        NOT NULL UNIQUE,
    due_at       timestamptz NOT NULL,
    changes      integer     NOT NULL DEFAULT 1,
    attempts     integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (customer_id, claim_id)
);
CREATE INDEX IF NOT EXISTS status_notices_due ON status_notices (due_at);

INSERT INTO processed_events VALUES ('notifier', '3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d', '2026-03-01 10:00:00+09');
INSERT INTO sent_mails VALUES ('3c2b1a09-8f7e-4d6c-b5a4-9382716f5e4d', 'registration_completed', 'taro@example.jp', '2026-03-01 10:00:02+09');
INSERT INTO customers VALUES ('C-000001', 'taro@example.jp', 'ja'), ('C-000004', 'misaki@example.jp', 'en');
INSERT INTO status_notices VALUES ('C-000001', 'CL-2026-0001', '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968', '2026-03-01 10:01:00+09', 2, 1);
