"""claims.customer-submissions (outbound, keyed by claim id): what customers send their claim's
handler through claim-status. Never the bytes: a document's `download_path` is served to staff
by claim-status's adjuster API (a staff token with the adjuster role)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StrictInt, StringConstraints

from claims_shared.events import topics
from claims_shared.events.envelope import EventData
from claims_shared.events.fields import ClaimId, FileName, Identifier, IsoDateTime, Paragraph

DocumentType = Literal["image/jpeg", "image/png", "image/heic", "image/heif", "application/pdf"]
"""What a stored document is, as judged from its content (never from its name)."""

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
DownloadPath = Annotated[
    str,
    StringConstraints(
        max_length=200,
        pattern=r"^/api/v1/adjuster/claims/[A-Za-z0-9][A-Za-z0-9._-]*/documents/[0-9a-f-]{36}$",
    ),
]


def download_path(claim_id: str, document_id: UUID) -> str:
    """Where the adjuster API serves a document's bytes."""
    return f"/api/v1/adjuster/claims/{claim_id}/documents/{document_id}"


class DocumentSubmitted(EventData):
    """A document or photo the customer uploaded, scanned clean and stored. `action_id` names
    the request (customer_action_requested) it answers, if any; `file_name` is the name the
    customer's device gave it, made safe; photos were re-encoded without their metadata, so
    `size_bytes` and `sha256` are of the stored bytes."""

    event_type = "DocumentSubmitted"
    topic = topics.CUSTOMER_SUBMISSIONS

    claim_id: ClaimId
    customer_id: Identifier
    document_id: UUID
    action_id: Identifier | None = None
    file_name: FileName
    content_type: DocumentType
    size_bytes: Annotated[StrictInt, Field(ge=1, le=2**40)]
    sha256: Sha256
    download_path: DownloadPath
    submitted_at: IsoDateTime


class CustomerMessagePosted(EventData):
    """A message the customer wrote on the claim's thread (plain text after NFKC)."""

    event_type = "CustomerMessagePosted"
    topic = topics.CUSTOMER_SUBMISSIONS

    claim_id: ClaimId
    customer_id: Identifier
    message_id: UUID
    text: Paragraph
    posted_at: IsoDateTime


__all__ = [
    "CustomerMessagePosted",
    "DocumentSubmitted",
    "DocumentType",
    "download_path",
]
