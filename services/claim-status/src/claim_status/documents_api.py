"""The documents' routes: the customer lists and uploads an accident's documents
(claim_status.uploads); adjusters download one (a staff token with the adjuster role)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from pydantic import BaseModel, Field

from claim_status.api import (
    ACCIDENT_NOT_FOUND,
    SIGNED_IN_CUSTOMER,
    Adjuster,
    ClaimId,
    Queries,
    SentDocument,
    claim_closed,
    customer_routes,
    sent_too_often,
)
from claim_status.document_ports import ScannerUnavailable, StoreUnavailable
from claim_status.presentation import document_view
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
    UploadsThrottled,
)
from claims_shared.auth import NOT_ALLOWED, NOT_SIGNED_IN, CustomerId
from claims_shared.errors import ErrorTable, Message, Refusal, RefusalFrom
from claims_shared.events.fields import Identifier
from claims_shared.web import Language, Wired


def _too_large_words(error: FileTooLarge) -> tuple[str, Message]:
    """The limit as configured (CLAIM_STATUS_MAX_UPLOAD_BYTES), in MB."""
    limit = error.limit_mb
    return "file_too_large", Message(
        f"ファイルが大きすぎます。1ファイル{limit}MBまでお送りいただけます。",
        f"The file is too large. Each file may be up to {limit} MB.",
    )


NOT_ACCEPTING_FILES = Message(
    "ただいまファイルをお受け取りできません。しばらくしてからもう一度お送りください。",
    "We cannot accept files right now. Please try again in a little while.",
)
"""clamd or the object store is down: the same words for either."""

DOCUMENT_ERRORS = ErrorTable(
    {
        ClaimNotFound: ACCIDENT_NOT_FOUND,
        ClaimClosed: claim_closed("書類", "documents"),
        UnknownRequest: Refusal(
            422,
            "unknown_request",
            Message(
                "このお願いには書類をお送りいただけません。画面を更新してお確かめください。",
                "Documents cannot be sent for this request. Please reload the page.",
            ),
        ),
        TooManyFiles: Refusal(
            422,
            "too_many_files",
            Message(
                "このお願いにお送りいただけるファイルの数を超えました。",
                "You have sent as many files as one request takes.",
            ),
        ),
        FileTooLarge: RefusalFrom(
            413,
            "`file_too_large`: the message names the limit (CLAIM_STATUS_MAX_UPLOAD_BYTES)",
            _too_large_words,
        ),
        UnsupportedFileType: Refusal(
            415,
            "unsupported_file_type",
            Message(
                "このファイルの種類はお送りいただけません。"
                "写真（JPEG・PNG・HEIC）またはPDFをお送りください。",
                "This kind of file cannot be sent. Please send a photo (JPEG, PNG, HEIC) or a PDF.",
            ),
        ),
        UnreadableFile: Refusal(
            422,
            "unreadable_file",
            Message(
                "ファイルを読み取れませんでした。撮り直すか、別のファイルをお送りください。",
                "We could not read this file. Please take the photo again or send another file.",
            ),
        ),
        InfectedFile: Refusal(
            422,
            "infected_file",
            Message(
                "このファイルからウイルスが見つかったため、お受け取りできませんでした。"
                "ファイルは削除せず安全に保管しています。別のファイルをお送りください。",
                "A virus was found in this file, so we could not accept it (it is kept safely"
                " apart, not opened). Please send another file.",
            ),
        ),
        ScannerUnavailable: Refusal(503, "scanner_unavailable", NOT_ACCEPTING_FILES),
        StoreUnavailable: Refusal(503, "storage_unavailable", NOT_ACCEPTING_FILES),
        UploadsThrottled: sent_too_often("too_many_uploads", "ファイル", "files"),
    }
)
"""The documents' refusals; claim_status.main installs them beside api.ERRORS."""

DOCUMENTS = Wired[DocumentService]("documents")
READ_ONLY = Refusal(
    503,
    "read_only",
    Message(
        "ただいまこちらではお受け付けできません。しばらくしてからもう一度お試しください。",
        "We cannot take this here right now. Please try again in a little while.",
    ),
)


READ_ONLY_INSTANCE = Wired[bool]("read_only")
"""CLAIM_STATUS_READ_ONLY, set once by the composition root."""


async def writable(read_only: Annotated[bool, Depends(READ_ONLY_INSTANCE)]) -> None:
    """A customer's write (an upload, a message) on an instance whose database takes none (a
    read replica, CLAIM_STATUS_READ_ONLY) is refused 503 `read_only` before anything is scanned
    or stored, instead of failing at the save; known from the settings, so no query a write."""
    if read_only:
        raise READ_ONLY.error()


Writable = Annotated[None, Depends(writable)]
NO_SUCH_DOCUMENT = Refusal(
    404, "not_found", Message("該当する書類が見つかりません。", "No such document.")
)

customer_router = customer_routes()
adjuster_router = APIRouter(prefix="/api/v1/adjuster", tags=["adjusters"])


class DocumentList(BaseModel):
    documents: list[SentDocument] = Field(description="oldest first")


class Received(BaseModel):
    document_id: str
    state: str = Field(description="received: scanned, stored and passed to the handler")


@customer_router.get(
    "/accidents/{claim_id}/documents",
    response_model=DocumentList,
    responses=DOCUMENT_ERRORS.responses_for(*SIGNED_IN_CUSTOMER, ACCIDENT_NOT_FOUND),
)
async def list_documents(
    claim_id: ClaimId,
    customer_id: CustomerId,
    queries: Queries,
    language: Language,
) -> Mapping[str, object]:
    claim = await queries.claim_of(customer_id, claim_id)
    if claim is None:
        raise ACCIDENT_NOT_FOUND.error()
    documents = await queries.documents.of_claim(claim_id, customer_id)
    return {"documents": [document_view(claim, document, language) for document in documents]}


@customer_router.post(
    "/accidents/{claim_id}/documents",
    status_code=201,
    response_model=Received,
    responses=DOCUMENT_ERRORS.responses_for(
        *SIGNED_IN_CUSTOMER,
        ClaimNotFound,
        ClaimClosed,
        UnknownRequest,
        TooManyFiles,
        FileTooLarge,
        UnsupportedFileType,
        UnreadableFile,
        InfectedFile,
        ScannerUnavailable,
        StoreUnavailable,
        UploadsThrottled,
        READ_ONLY,
    ),
)
async def upload_document(
    claim_id: ClaimId,
    customer_id: CustomerId,
    _writable: Writable,
    documents: Annotated[DocumentService, Depends(DOCUMENTS)],
    file: Annotated[
        UploadFile, File(description="JPEG, PNG, HEIC/HEIF or PDF, up to the size limit")
    ],
    action_id: Annotated[Identifier | None, Form(description="the request it answers")] = None,
) -> Received:
    """Scanned for viruses, judged by its content, photos stored without their metadata
    (location included); then announced to the handler (DocumentSubmitted)."""
    data = await file.read(documents.limits.max_bytes + 1)
    stored = await documents.upload(
        Upload(
            claim_id=claim_id,
            customer_id=customer_id,
            action_id=action_id,
            file_name=file.filename or "",
            data=data,
        )
    )
    return Received(document_id=str(stored.document_id), state="received")


@adjuster_router.get(
    "/claims/{claim_id}/documents/{document_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the bytes"},
        **DOCUMENT_ERRORS.responses_for(
            *NOT_SIGNED_IN, NOT_ALLOWED, NO_SUCH_DOCUMENT, StoreUnavailable
        ),
    },
)
async def download_document(
    claim_id: ClaimId,
    document_id: uuid.UUID,
    adjuster: Adjuster,
    documents: Annotated[DocumentService, Depends(DOCUMENTS)],
) -> Response:
    """The stored bytes (photos as re-encoded), always as an attachment of the type judged
    from the content when it came in."""
    found = await documents.download(claim_id, document_id)
    if found is None:
        raise NO_SUCH_DOCUMENT.error()
    document, data = found
    return Response(
        content=data,
        media_type=document.content_type,
        headers={
            "Content-Disposition": content_disposition(document.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def content_disposition(file_name: str) -> str:
    """`attachment` with the name twice: plain ASCII for old clients (anything else as _),
    and the real name in UTF-8 (RFC 5987), so no header can be broken by the name."""
    fallback = "".join(
        char if char.isascii() and char.isprintable() and char not in '"\\;' else "_"
        for char in file_name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
