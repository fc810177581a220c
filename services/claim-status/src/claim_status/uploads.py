"""The upload pipeline: a customer's document or photo for their claim, from the bytes the route
read to a Document the Correspondence saved (and so announces as DocumentSubmitted).

In order: the claim is the customer's (else not found) and open (a closed claim is read-only);
the request it answers is one of the claim's open ones; the customer's hourly allowance and the
request's file count; the size; a virus scan of the bytes as sent (a virus is reported as one
whatever the file claims to be: the bytes are kept under quarantine/... only, the Document is
recorded quarantined and never announced); the type judged from the content (JPEG, PNG,
HEIC/HEIF, PDF); photos re-encoded upright without any metadata (GPS included; HEIC becomes
JPEG, which every adjuster's screen shows); the bytes stored; the Document saved.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import filetype
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from claim_status.correspondence import Correspondence, Document
from claim_status.document_ports import ObjectStore, VirusScanner
from claim_status.domain import ClaimDocument
from claims_shared.clock import Clock
from claims_shared.throttle import RefusedUntil

pillow_heif.register_heif_opener()
MAX_PIXELS = 60_000_000
"""More than any phone's photo (a 50-megapixel one is 8,160 × 6,120): a 10 MB file claiming
more is a decompression bomb (each million pixels costs 3 MB of memory to redraw)."""

DOCUMENT_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/heic", "image/heif", "application/pdf"}
)
PHOTO_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}  # HEIC/HEIF are stored as JPEG


class UploadRefused(Exception):
    """An upload the pipeline does not take; api.ERRORS says each in the customer's words."""


class ClaimNotFound(UploadRefused):
    """Not this customer's claim, or no such claim: the same answer."""


class ClaimClosed(UploadRefused):
    pass


class UnknownRequest(UploadRefused):
    """The action id names no open request of this claim."""


class TooManyFiles(UploadRefused):
    """The request already has as many documents as one request may."""


class FileTooLarge(UploadRefused):
    """Larger than the limit (CLAIM_STATUS_MAX_UPLOAD_BYTES), which the refusal names."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.max_bytes = max_bytes

    @property
    def limit_mb(self) -> str:
        """The limit in MB (2**20 bytes) as people write it: 10, 2.5."""
        return f"{round(self.max_bytes / 2**20, 1):g}"


class UnsupportedFileType(UploadRefused):
    pass


class UnreadableFile(UploadRefused):
    """Looks like a photo but cannot be read as one (cut short, or far too many pixels)."""


class InfectedFile(UploadRefused):
    def __init__(self, document_id: uuid.UUID, signature: str) -> None:
        super().__init__(f"infected: {signature}")
        self.document_id = document_id
        self.signature = signature


class UploadsThrottled(UploadRefused, RefusedUntil):
    """The customer's hourly allowance is used up until `until` (429 with Retry-After)."""

    reason = "too many uploads"


class UploadRecords(Protocol):
    """What the pipeline reads of earlier uploads (claim_documents; the fast tests keep a
    list)."""

    async def files_for_request(self, claim_id: str, action_id: str) -> int: ...

    async def nth_latest_upload(self, customer_id: str, n: int) -> datetime | None:
        """When the customer's n-th most recent upload was made, if they made n."""
        ...


class CustomerClaims(Protocol):
    async def claim_of(self, customer_id: str, claim_id: str) -> ClaimDocument | None:
        """The claim's document if it is this customer's."""
        ...


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_files_per_request: int = 20
    per_hour: int = 30


@dataclass(frozen=True)
class Upload:
    claim_id: str
    customer_id: str
    action_id: str | None
    file_name: str
    data: bytes


@dataclass(frozen=True)
class Stored:
    document_id: uuid.UUID
    content_type: str
    size_bytes: int


def document_key(claim_id: str, document_id: uuid.UUID) -> str:
    return f"documents/{claim_id}/{document_id}"


def quarantine_key(claim_id: str, document_id: uuid.UUID) -> str:
    return f"quarantine/{claim_id}/{document_id}"


@dataclass
class DocumentService:
    """Uploads for customers (the pipeline above), downloads for adjusters."""

    correspondence: Correspondence
    store: ObjectStore
    scanner: VirusScanner
    claims: CustomerClaims
    records: UploadRecords
    clock: Clock
    limits: UploadLimits = UploadLimits()

    async def upload(self, upload: Upload) -> Stored:
        await self._check_claim(upload)
        await self._check_allowance(upload)
        if len(upload.data) > self.limits.max_bytes:
            raise FileTooLarge(self.limits.max_bytes)
        document_id = uuid.uuid4()
        submitted_at = self.clock().isoformat()
        signature = await self.scanner.scan(upload.data)
        if signature is not None:
            await self._quarantine(upload, document_id, signature, submitted_at)
        sniffed = filetype.guess_mime(upload.data)
        if sniffed not in DOCUMENT_TYPES:
            raise UnsupportedFileType()
        data, content_type = await asyncio.to_thread(without_metadata, upload.data, sniffed)
        file_name = safe_file_name(upload.file_name, content_type)
        await self.store.put(document_key(upload.claim_id, document_id), data, content_type)
        await asyncio.to_thread(
            self.correspondence.record_received,
            document_id,
            **_facts(upload, file_name, content_type, data, submitted_at),
        )
        return Stored(document_id, content_type, len(data))

    async def download(
        self, claim_id: str, document_id: uuid.UUID
    ) -> tuple[Document, bytes] | None:
        """A received document of this claim and its stored bytes (read from the event store,
        not the projection: the handler may follow DocumentSubmitted's link at once)."""
        document = await asyncio.to_thread(self.correspondence.document, document_id)
        if document is None or document.claim_id != claim_id or document.signature is not None:
            return None
        data = await self.store.get(document_key(claim_id, document_id))
        return None if data is None else (document, data)

    async def _check_claim(self, upload: Upload) -> None:
        claim = await self.claims.claim_of(upload.customer_id, upload.claim_id)
        if claim is None:
            raise ClaimNotFound()
        if claim["closed"]:
            raise ClaimClosed()
        if upload.action_id is not None:
            action = claim["actions"].get(upload.action_id)
            if action is None or action["completed"]:
                raise UnknownRequest()

    async def _check_allowance(self, upload: Upload) -> None:
        oldest = await self.records.nth_latest_upload(upload.customer_id, self.limits.per_hour)
        if oldest is not None and oldest > self.clock() - timedelta(hours=1):
            raise UploadsThrottled(oldest + timedelta(hours=1))
        if upload.action_id is not None:
            sent = await self.records.files_for_request(upload.claim_id, upload.action_id)
            if sent >= self.limits.max_files_per_request:
                raise TooManyFiles()

    async def _quarantine(
        self, upload: Upload, document_id: uuid.UUID, signature: str, submitted_at: str
    ) -> None:
        """Keep the bytes where only the security team looks, record it, refuse the upload."""
        await self.store.put(
            quarantine_key(upload.claim_id, document_id),
            upload.data,
            "application/octet-stream",
        )
        file_name = safe_file_name(upload.file_name, "application/octet-stream")
        await asyncio.to_thread(
            self.correspondence.record_quarantined,
            document_id,
            signature=signature,
            **_facts(upload, file_name, "application/octet-stream", upload.data, submitted_at),
        )
        raise InfectedFile(document_id, signature)


def _facts(
    upload: Upload, file_name: str, content_type: str, data: bytes, submitted_at: str
) -> dict[str, object]:
    return {
        "claim_id": upload.claim_id,
        "customer_id": upload.customer_id,
        "action_id": upload.action_id,
        "file_name": file_name,
        "content_type": content_type,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "submitted_at": submitted_at,
    }


def without_metadata(data: bytes, content_type: str) -> tuple[bytes, str]:
    """A photo drawn again upright on a clean image, so nothing of the original's metadata
    (EXIF with GPS, XMP, comments) survives: saving a photo as it is keeps its EXIF in HEIF,
    and dropping EXIF alone would show a JPEG sideways. PDFs are kept as they are."""
    if content_type == "application/pdf":
        return data, content_type
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise UnreadableFile()
            upright = ImageOps.exif_transpose(opened)
            upright.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableFile() from error
    stored_type = content_type if content_type in PHOTO_FORMATS else "image/jpeg"
    photo_format = PHOTO_FORMATS[stored_type]
    mode = "RGB" if photo_format == "JPEG" or upright.mode in ("RGB", "L") else "RGBA"
    if photo_format == "PNG" and upright.mode == "L":
        mode = "L"
    source = upright.convert(mode) if upright.mode != mode else upright
    clean = Image.new(mode, source.size)
    clean.paste(source)
    out = io.BytesIO()
    if photo_format == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue(), stored_type


EXTENSIONS = {"image/jpeg": ("jpg", "jpeg"), "image/png": ("png",), "application/pdf": ("pdf",)}
_UNSAFE = {"\\", "/", ":", "*", "?", '"', "<", ">", "|"}


def safe_file_name(given: str, content_type: str) -> str:
    """The name the customer's device gave, as one safe line: NFKC, no folders, no control or
    invisible characters, no characters a file system refuses, at most 120 characters with the
    extension of what is stored (a HEIC photo stored as JPEG is named .jpg)."""
    name = unicodedata.normalize("NFKC", given).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if char in _UNSAFE else char
        for char in name
        if unicodedata.category(char)[0] != "C" and char not in "\u2028\u2029"
    ).strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    wanted = EXTENSIONS.get(content_type)
    if wanted is not None and extension.lower() not in wanted:
        extension = wanted[0]
    stem = (stem or "document")[:100]
    return f"{stem}.{extension[:10]}" if extension else stem
