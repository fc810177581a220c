"""Documents and photos through the real service, clamd, S3Proxy, broker and database: a photo
is stored upright without its location, announced once on claims.customer-submissions with the
link the adjuster API serves, and its review shows on the document and its request. And the
refusals a customer can meet, each in their words: a virus (quarantined, never announced), a
file too large, a renamed executable, someone else's accident, a resolved one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import botocore.session
import httpx
import pytest
from document_samples import (
    EICAR,
    EXECUTABLE,
    PDF,
    WIDE,
    has_location,
    photo_with_location,
    size_of,
)

from claim_status.settings import ClaimStatusSettings
from claim_status_harness import (
    ClaimLog,
    ClaimStatusService,
    claim_status_serving,
    claim_status_settings,
    opened,
)
from claims_shared.events import topics
from devinfra.object_store import ObjectStore
from devinfra.testing import eventually, find_envelopes


@pytest.fixture
def with_servers(
    infrastructure: Any,
    database_url: str,
    clamd_address: str,
    object_store: ObjectStore,
    bucket: str,
) -> Callable[..., ClaimStatusSettings]:
    """Settings naming the test's clamd, object store and bucket; keywords override the rest."""
    return partial(
        claim_status_settings,
        infrastructure,
        database_url,
        object_store_url=object_store.url,
        object_store_bucket=bucket,
        object_store_access_key=object_store.access_key,
        object_store_secret_key=object_store.secret_key,
        clamd_address=clamd_address,
    )


@pytest.fixture
async def service(
    with_servers: Callable[..., ClaimStatusSettings],
) -> AsyncIterator[ClaimStatusService]:
    async with claim_status_serving(with_servers()) as running:
        yield running


def stored_object(object_store: ObjectStore, bucket: str, key: str) -> bytes | None:
    client = botocore.session.get_session().create_client("s3", **object_store.client_options())
    try:
        body: bytes = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    return body


def customer() -> str:
    return f"C-{uuid.uuid4().hex[:8]}"


async def claim_asking_for_photos(service: ClaimStatusService, customer_id: str) -> ClaimLog:
    log = ClaimLog()
    clock = service.clock
    for update in (
        opened(log, clock, customer_id),
        log.next(
            "customer_action_requested",
            clock,
            action_id="photos",
            description="お車の損傷部分の写真をお送りください",
            due_date="2026-12-10",
        ),
    ):
        assert (await service.post_update(update)).status_code == 202
    await service.accident_at(customer_id, log.claim_id, 2)
    return log


async def upload(
    service: ClaimStatusService,
    customer_id: str,
    claim_id: str,
    data: bytes,
    name: str = "photo.jpg",
    action_id: str | None = "photos",
    language: str = "ja",
) -> httpx.Response:
    return await service.client.post(
        f"/api/v1/me/accidents/{claim_id}/documents",
        files={"file": (name, data, "application/octet-stream")},
        data={"action_id": action_id} if action_id else {},
        headers={**service.as_customer(customer_id), "Accept-Language": language},
    )


async def documents_of(
    service: ClaimStatusService, customer_id: str, claim_id: str, expected: int
) -> list[dict[str, Any]]:
    async def listed() -> list[dict[str, Any]] | None:
        response = await service.client.get(
            f"/api/v1/me/accidents/{claim_id}/documents", headers=service.as_customer(customer_id)
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()["documents"]
        return found if len(found) >= expected else None

    return await eventually(listed)


async def submissions_of(
    service: ClaimStatusService, claim_id: str, more_than_should_come: int
) -> list[dict[str, Any]]:
    """The claim's envelopes on claims.customer-submissions, waiting (5 s at most) for one more
    than should come, so that a second announcement would show."""
    return await find_envelopes(
        service.bootstrap,
        service.topic(topics.CUSTOMER_SUBMISSIONS),
        lambda e: e["data"]["claim_id"] == claim_id,
        expected=more_than_should_come,
        timeout=5,
    )


async def test_a_photo_goes_to_the_handler_without_its_location_and_comes_back_reviewed(
    service: ClaimStatusService, object_store: ObjectStore, bucket: str
) -> None:
    me = customer()
    log = await claim_asking_for_photos(service, me)

    sent = await upload(service, me, log.claim_id, photo_with_location(), "IMG_0001.JPG")
    service.clock.advance(seconds=1)
    heic = await upload(service, me, log.claim_id, photo_with_location("HEIF"), "IMG_0002.HEIC")

    assert sent.status_code == 201, sent.text
    assert heic.status_code == 201, heic.text
    assert sent.json()["state"] == "received"
    document_id = sent.json()["document_id"]
    stored = stored_object(object_store, bucket, f"documents/{log.claim_id}/{document_id}")
    assert stored is not None and not has_location(stored)
    assert size_of(stored) == (WIDE[1], WIDE[0]), "upright, as the camera meant it"

    announced = await submissions_of(service, log.claim_id, 3)
    assert [e["event_type"] for e in announced] == ["DocumentSubmitted"] * 2, "each once"
    first = announced[0]["data"]
    assert first["document_id"] == document_id
    assert first["action_id"] == "photos"
    assert first["download_path"] == (
        f"/api/v1/adjuster/claims/{log.claim_id}/documents/{document_id}"
    )

    download = await service.client.get(first["download_path"], headers=service.as_adjuster())
    assert download.status_code == 200
    assert download.content == stored
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == (
        "attachment; filename=\"IMG_0001.JPG\"; filename*=UTF-8''IMG_0001.JPG"
    )
    as_customer = await service.client.get(first["download_path"], headers=service.as_customer(me))
    assert as_customer.status_code == 403

    listed = await documents_of(service, me, log.claim_id, 2)
    assert [(d["file_name"], d["state"]["label"]) for d in listed] == [
        ("IMG_0001.JPG", "受付済み"),
        ("IMG_0002.jpg", "受付済み"),
    ]
    detail = (await service.accident(me, log.claim_id)).json()
    [request] = detail["requests"]
    assert (request["state"]["label"], request["due_date"]) == (
        "提出済み（確認待ち）",
        "2026-12-10",
    )

    review = log.next(
        "document_reviewed",
        service.clock,
        document_id=document_id,
        result="resubmit",
        reason="ナンバープレートが写るように撮り直してください",
    )
    assert (await service.post_update(review)).status_code == 202
    detail = await service.accident_at(me, log.claim_id, 3)
    [request] = detail["requests"]
    assert request["state"]["label"] == "提出済み（確認待ち）", "the HEIC photo came after it"
    assert request["documents"][0]["state"]["label"] == "再提出のお願い"
    assert request["documents"][0]["reason"] == "ナンバープレートが写るように撮り直してください"

    for document in listed:
        accepted = log.next(
            "document_reviewed",
            service.clock,
            document_id=document["document_id"],
            result="accepted",
        )
        assert (await service.post_update(accepted)).status_code == 202
    detail = await service.accident_at(me, log.claim_id, 5)
    assert [d["state"]["label"] for d in detail["requests"][0]["documents"]] == ["確認済み"] * 2
    assert detail["requests"][0]["state"]["label"] == "確認済み"
    listing = (
        await service.client.get("/api/v1/me/accidents", headers=service.as_customer(me))
    ).json()
    assert listing["items"][0]["open_requests"] == 0


async def test_a_virus_is_quarantined_told_in_words_and_never_announced(
    service: ClaimStatusService, object_store: ObjectStore, bucket: str
) -> None:
    me = customer()
    log = await claim_asking_for_photos(service, me)

    refused = await upload(service, me, log.claim_id, EICAR, "eicar.jpg")
    english = await upload(service, me, log.claim_id, EICAR, "eicar.jpg", language="en")
    clean = await upload(service, me, log.claim_id, PDF, "見積書.pdf")

    assert refused.status_code == 422
    assert refused.json()["code"] == "infected_file"
    assert "ウイルス" in refused.json()["message"]
    assert "別のファイルをお送りください" in refused.json()["message"]
    assert "Please send another file" in english.json()["message"]
    assert clean.status_code == 201
    client = botocore.session.get_session().create_client("s3", **object_store.client_options())
    kept = client.list_objects_v2(Bucket=bucket, Prefix=f"quarantine/{log.claim_id}/")
    assert [stored_object(object_store, bucket, o["Key"]) for o in kept["Contents"]] == [EICAR] * 2
    announced = await submissions_of(service, log.claim_id, 2)
    assert [e["data"]["file_name"] for e in announced] == ["見積書.pdf"]
    assert await documents_of(service, me, log.claim_id, 1) == [
        {**(await documents_of(service, me, log.claim_id, 1))[0], "file_name": "見積書.pdf"}
    ]


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (b"%PDF-1.4\n" + bytes(11 * 1024 * 1024), "big.pdf", 413, "file_too_large"),
        (EXECUTABLE, "photo.jpg", 415, "unsupported_file_type"),
    ],
    ids=["11 MB", "a renamed executable"],
)
async def test_a_file_too_large_or_of_another_kind_is_refused_in_words(
    service: ClaimStatusService, data: bytes, name: str, status: int, code: str
) -> None:
    me = customer()
    log = await claim_asking_for_photos(service, me)

    refused = await upload(service, me, log.claim_id, data, name)

    assert refused.status_code == status
    assert refused.json()["code"] == code
    assert refused.json()["message"].endswith("。")


async def test_another_customers_accident_is_not_found(service: ClaimStatusService) -> None:
    owner, stranger = customer(), customer()
    log = await claim_asking_for_photos(service, owner)
    assert (await upload(service, owner, log.claim_id, PDF)).status_code == 201

    sent = await upload(service, stranger, log.claim_id, PDF)
    listed = await service.client.get(
        f"/api/v1/me/accidents/{log.claim_id}/documents", headers=service.as_customer(stranger)
    )

    assert (sent.status_code, sent.json()["code"]) == (404, "not_found")
    assert (listed.status_code, listed.json()["code"]) == (404, "not_found")
    mine = (await documents_of(service, owner, log.claim_id, 1))[0]["document_id"]
    wrong_claim = await service.client.get(
        f"/api/v1/adjuster/claims/CL-other/documents/{mine}", headers=service.as_adjuster()
    )
    assert wrong_claim.status_code == 404


async def test_a_resolved_accident_takes_no_documents(service: ClaimStatusService) -> None:
    me = customer()
    log = await claim_asking_for_photos(service, me)
    assert (await service.post_update(log.next("claim_closed", service.clock))).status_code == 202
    await service.accident_at(me, log.claim_id, 3)

    refused = await upload(service, me, log.claim_id, PDF, action_id=None)

    assert (refused.status_code, refused.json()["code"]) == (409, "claim_closed")


async def test_the_size_refusal_names_the_configured_limit(
    with_servers: Callable[..., ClaimStatusSettings],
) -> None:
    settings = with_servers(max_upload_bytes=5 * 1024 * 1024 // 2)
    async with claim_status_serving(settings) as service:
        me = customer()
        log = await claim_asking_for_photos(service, me)
        data = b"%PDF-1.4\n" + bytes(3 * 1024 * 1024)

        japanese = await upload(service, me, log.claim_id, data, "big.pdf")
        english = await upload(service, me, log.claim_id, data, "big.pdf", language="en")

    assert (japanese.status_code, japanese.json()["code"]) == (413, "file_too_large")
    assert japanese.json()["message"] == (
        "ファイルが大きすぎます。1ファイル2.5MBまでお送りいただけます。"
    )
    assert english.json()["message"] == "The file is too large. Each file may be up to 2.5 MB."
