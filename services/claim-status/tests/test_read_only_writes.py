"""A customer's write on a read-only instance (CLAIM_STATUS_READ_ONLY, a read replica whose
database refuses every write as a hot standby does): the upload and the message are refused in
the customer's words (503 read_only) instead of failing at the save with a 500."""

from __future__ import annotations

from claim_status_harness import (
    ClaimStatusService,
    open_claim,
    read_replica,
    token,
)


async def test_a_read_only_instance_refuses_an_upload_and_a_message_in_words(
    claim_status: ClaimStatusService, infrastructure: object
) -> None:
    """Reading still works there; writing is refused before anything is scanned or stored."""
    log = await open_claim(claim_status, "C-REPLICA-W")
    signed_in = {"Authorization": f"Bearer {token(claim_status.clock, customer_id='C-REPLICA-W')}"}
    path = f"/api/v1/me/accidents/{log.claim_id}"
    async with read_replica(claim_status, infrastructure) as replica:
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
