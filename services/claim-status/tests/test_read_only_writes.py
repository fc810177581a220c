"""A customer's write on a read-only instance (CLAIM_STATUS_READ_ONLY, a read replica whose
database refuses every write as a hot standby does): the upload and the message are refused in
the customer's words (503 read_only) instead of failing at the save with a 500."""

from __future__ import annotations

import psycopg

from claim_status.main import build
from claim_status_harness import (
    ClaimLog,
    ClaimStatusService,
    claim_status_settings,
    key_set,
    opened,
    token,
)
from devinfra.testing import in_process


async def test_a_read_only_instance_refuses_an_upload_and_a_message_in_words(
    claim_status: ClaimStatusService, infrastructure: object
) -> None:
    """Reading still works there; writing is refused before anything is scanned or stored."""
    log = ClaimLog()
    await claim_status.send(opened(log, claim_status.clock, "C-REPLICA-W"))
    await claim_status.accident_at("C-REPLICA-W", log.claim_id, 1)
    url = claim_status.settings.database_url
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET default_transaction_read_only = on'
        )
    settings = claim_status_settings(
        infrastructure,
        url,
        read_only=True,
        workers="",
        kafka_topic_prefix=claim_status.settings.kafka_topic_prefix,
    )
    signed_in = {"Authorization": f"Bearer {token(claim_status.clock, customer_id='C-REPLICA-W')}"}
    path = f"/api/v1/me/accidents/{log.claim_id}"
    async with in_process(build(settings, clock=claim_status.clock, fetch_keys=key_set)) as replica:
        upload = await replica.post(
            f"{path}/documents",
            files={"file": ("見積書.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
            headers=signed_in,
        )
        message = await replica.post(
            f"{path}/messages",
            json={"text": "修理工場は決まりました。"},
            headers={**signed_in, "Accept-Language": "en"},
        )
        thread = await replica.get(f"{path}/messages", headers=signed_in)

    assert (upload.status_code, upload.json()["code"]) == (503, "read_only")
    assert upload.json()["message"] == (
        "ただいまこちらではお受け付けできません。しばらくしてからもう一度お試しください。"
    )
    assert (message.status_code, message.json()) == (
        503,
        {
            "code": "read_only",
            "message": "We cannot take this here right now. Please try again in a little while.",
        },
    )
    assert (thread.status_code, thread.json()["messages"]) == (200, [])
