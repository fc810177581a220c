"""The upload pipeline's decisions with its ports in memory (document_fakes): what is refused
and why, what is quarantined, what is stored and announced, and how photos lose their location.
test_documents.py runs the same pipeline against clamd and S3Proxy."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from document_fakes import (
    InMemoryClaims,
    InMemoryObjectStore,
    InMemoryUploadRecords,
    SignatureScanner,
)
from document_samples import (
    EICAR,
    EXECUTABLE,
    PDF,
    WIDE,
    has_location,
    photo_with_location,
    size_of,
)
from PIL import Image

from claim_status.correspondence import Correspondence, translate
from claim_status.document_ports import ScannerUnavailable, StoreUnavailable
from claim_status.documents_api import content_disposition
from claim_status.domain import ClaimDocument, evolve
from claim_status.uploads import (
    ClaimClosed,
    ClaimNotFound,
    DocumentService,
    FileTooLarge,
    InfectedFile,
    TooManyFiles,
    UnknownRequest,
    UnreadableFile,
    UnsupportedFileType,
    Upload,
    UploadLimits,
    UploadsThrottled,
    safe_file_name,
)
from claim_status_harness import reported
from claims_shared.events import DocumentSubmitted
from claims_shared.events.claims import ClaimClosed as Closed
from claims_shared.events.claims import ClaimOpened, CustomerActionRequested
from claims_shared.testing import POPO
from devinfra.testing import ManualClock


def huge_png() -> bytes:
    """A small file claiming 10,000 × 10,000 pixels (100 million)."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")
    return out.getvalue()


def open_claim(customer_id: str) -> ClaimDocument:
    claim = evolve(None, ClaimOpened(**reported(customer_id, "A1")), sequence=1, occurred_at="t")  # type: ignore[arg-type]
    return evolve(
        claim,
        CustomerActionRequested(action_id="photos", description="お車の写真"),
        sequence=2,
        occurred_at="t",
    )


@dataclass
class Pipeline:
    service: DocumentService
    store: InMemoryObjectStore
    scanner: SignatureScanner
    claims: InMemoryClaims
    records: InMemoryUploadRecords
    clock: ManualClock

    async def send(
        self, data: bytes, name: str = "photo.jpg", action_id: str | None = "photos", **who: str
    ) -> uuid.UUID:
        upload = Upload(
            claim_id=who.get("claim_id", "CL-1"),
            customer_id=who.get("customer_id", "C-1"),
            action_id=action_id,
            file_name=name,
            data=data,
        )
        return (await self.service.upload(upload)).document_id

    def announced(self) -> list[DocumentSubmitted]:
        log = self.service.correspondence.notification_log
        return [
            data
            for notification in log.select(start=1, limit=10)
            for _, data in translate(
                self.service.correspondence.mapper.to_domain_event(notification)
            )
            if isinstance(data, DocumentSubmitted)
        ]


@pytest.fixture
def pipeline() -> Pipeline:
    clock = ManualClock()
    claims = InMemoryClaims({("C-1", "CL-1"): open_claim("C-1")})
    store, scanner, records = (
        InMemoryObjectStore(),
        SignatureScanner(EICAR),
        InMemoryUploadRecords(),
    )
    service = DocumentService(
        correspondence=Correspondence(env=POPO),
        store=store,
        scanner=scanner,
        claims=claims,
        records=records,
        clock=clock,
        limits=UploadLimits(max_bytes=10 * 1024 * 1024, max_files_per_request=3, per_hour=5),
    )
    return Pipeline(service, store, scanner, claims, records, clock)


async def test_a_photo_is_stored_upright_without_its_location_and_announced(
    pipeline: Pipeline,
) -> None:
    document_id = await pipeline.send(photo_with_location(), "IMG_0001.JPG")

    stored, content_type = pipeline.store.objects[f"documents/CL-1/{document_id}"]
    assert content_type == "image/jpeg"
    assert not has_location(stored)
    assert size_of(stored) == (WIDE[1], WIDE[0]), "turned as the camera said, then stored so"
    [announced] = pipeline.announced()
    assert (announced.document_id, announced.action_id) == (document_id, "photos")
    assert announced.file_name == "IMG_0001.JPG"
    assert announced.sha256 == hashlib.sha256(stored).hexdigest()
    assert announced.size_bytes == len(stored)


async def test_a_heic_photo_is_stored_as_jpeg_without_its_location(pipeline: Pipeline) -> None:
    document_id = await pipeline.send(photo_with_location("HEIF"), "IMG_0002.HEIC")

    stored, content_type = pipeline.store.objects[f"documents/CL-1/{document_id}"]
    assert content_type == "image/jpeg"
    assert not has_location(stored)
    assert pipeline.announced()[0].file_name == "IMG_0002.jpg"


async def test_a_png_keeps_its_type_and_loses_its_metadata(pipeline: Pipeline) -> None:
    document_id = await pipeline.send(photo_with_location("PNG"), "screen.png")
    stored, content_type = pipeline.store.objects[f"documents/CL-1/{document_id}"]
    assert content_type == "image/png"
    assert not has_location(stored)


async def test_a_pdf_is_stored_as_it_came(pipeline: Pipeline) -> None:
    document_id = await pipeline.send(PDF, "見積書.pdf", action_id=None)
    assert pipeline.store.objects[f"documents/CL-1/{document_id}"] == (PDF, "application/pdf")


async def test_a_virus_is_quarantined_and_never_announced(pipeline: Pipeline) -> None:
    with pytest.raises(InfectedFile) as refused:
        await pipeline.send(b"%PDF-1.4\n" + EICAR, "請求書.pdf")

    document_id = refused.value.document_id
    assert pipeline.store.objects == {
        f"quarantine/CL-1/{document_id}": (b"%PDF-1.4\n" + EICAR, "application/octet-stream")
    }
    document = pipeline.service.correspondence.document(document_id)
    assert document is not None and document.signature == "Test.Marker"
    assert pipeline.announced() == []


async def test_a_virus_that_is_no_document_at_all_is_still_reported_as_a_virus(
    pipeline: Pipeline,
) -> None:
    with pytest.raises(InfectedFile):
        await pipeline.send(EICAR, "eicar.com")


@pytest.mark.parametrize(
    ("data", "name", "refusal"),
    [
        (EXECUTABLE, "photo.jpg", UnsupportedFileType),
        (b"just some text", "note.pdf", UnsupportedFileType),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.png", UnsupportedFileType),
        (b"\xff\xd8\xff\xe0" + bytes(100), "cut.jpg", UnreadableFile),
        (huge_png(), "bomb.png", UnreadableFile),
    ],
    ids=["renamed executable", "text", "svg", "a cut-short jpeg", "a decompression bomb"],
)
async def test_what_is_no_photo_or_pdf_is_refused_and_nothing_is_kept(
    pipeline: Pipeline, data: bytes, name: str, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        await pipeline.send(data, name)
    assert pipeline.store.objects == {}
    assert pipeline.announced() == []


async def test_a_file_over_the_limit_is_refused_before_it_is_scanned(pipeline: Pipeline) -> None:
    pipeline.scanner.down = True
    with pytest.raises(FileTooLarge):
        await pipeline.send(b"%PDF-" + bytes(10 * 1024 * 1024))


async def test_without_a_scanner_nothing_is_stored(pipeline: Pipeline) -> None:
    pipeline.scanner.down = True
    with pytest.raises(ScannerUnavailable):
        await pipeline.send(PDF)
    assert pipeline.store.objects == {}


async def test_without_the_object_store_nothing_is_recorded(pipeline: Pipeline) -> None:
    pipeline.store.down = True
    with pytest.raises(StoreUnavailable):
        await pipeline.send(PDF)
    assert pipeline.announced() == []


async def test_only_the_claims_own_customer_may_send_to_it(pipeline: Pipeline) -> None:
    with pytest.raises(ClaimNotFound):
        await pipeline.send(PDF, customer_id="C-2")
    with pytest.raises(ClaimNotFound):
        await pipeline.send(PDF, claim_id="CL-404")


async def test_a_closed_claim_takes_no_documents(pipeline: Pipeline) -> None:
    claim = pipeline.claims.claims[("C-1", "CL-1")]
    evolve(claim, Closed(), sequence=3, occurred_at="t")
    with pytest.raises(ClaimClosed):
        await pipeline.send(PDF)


async def test_a_document_answers_only_an_open_request_of_the_claim(pipeline: Pipeline) -> None:
    with pytest.raises(UnknownRequest):
        await pipeline.send(PDF, action_id="no-such-request")


async def test_a_request_takes_at_most_its_number_of_files(pipeline: Pipeline) -> None:
    now = pipeline.clock()
    pipeline.records.uploads += [("C-1", "CL-1", "photos", now - timedelta(days=1))] * 3
    with pytest.raises(TooManyFiles):
        await pipeline.send(PDF)
    await pipeline.send(PDF, action_id=None)


async def test_a_customer_sends_at_most_the_hourly_number_of_files(pipeline: Pipeline) -> None:
    now = pipeline.clock()
    pipeline.records.uploads += [
        ("C-1", "CL-9", None, now - timedelta(minutes=minutes)) for minutes in (50, 40, 30, 20, 10)
    ]
    with pytest.raises(UploadsThrottled) as refused:
        await pipeline.send(PDF)
    assert refused.value.retry_after(now) == 10 * 60, "when the oldest leaves the hour"

    pipeline.clock.advance(minutes=11)
    await pipeline.send(PDF)


@pytest.mark.parametrize(
    ("given", "content_type", "safe"),
    [
        ("C:\\Users\\me\\見積書.pdf", "application/pdf", "見積書.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("IMG_0001.HEIC", "image/jpeg", "IMG_0001.jpg"),
        ("写真.jpeg", "image/jpeg", "写真.jpeg"),
        ("\u202etxt.exe\u0000.png", "image/png", "txt.exe.png"),
        ('a"b<c>.pdf', "application/pdf", "a_b_c_.pdf"),
        ("", "application/pdf", "document.pdf"),
        ("ＡＢＣ.pdf", "application/pdf", "ABC.pdf"),
    ],
)
def test_file_names_are_made_one_safe_line(given: str, content_type: str, safe: str) -> None:
    assert safe_file_name(given, content_type) == safe


def test_a_download_is_an_attachment_whose_name_cannot_break_the_header() -> None:
    assert content_disposition('見積書 "最新".pdf') == (
        'attachment; filename="___ ____.pdf"; '
        "filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8%20%22%E6%9C%80%E6%96%B0%22.pdf"
    )
