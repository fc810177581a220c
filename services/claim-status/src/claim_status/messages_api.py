"""The message board's routes (claim_status.messages): read an accident's thread, post to it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends
from pydantic import BaseModel, Field

from claim_status.api import (
    ACCIDENT_NOT_FOUND,
    SIGNED_IN_CUSTOMER,
    ClaimId,
    claim_closed,
    customer_routes,
    sent_too_often,
)
from claim_status.documents_api import READ_ONLY, Writable
from claim_status.messages import (
    ClaimClosedForMessages,
    MessageService,
    MessageText,
    NoSuchClaim,
    TooManyMessages,
)
from claims_shared.auth import CustomerId
from claims_shared.errors import ErrorTable
from claims_shared.inputs import RequestBody
from claims_shared.web import Language, Now, Wired

MESSAGE_ERRORS = ErrorTable(
    {
        NoSuchClaim: ACCIDENT_NOT_FOUND,
        ClaimClosedForMessages: claim_closed("メッセージ", "messages"),
        TooManyMessages: sent_too_often("too_many_messages", "メッセージ", "messages"),
    }
)
"""The message board's refusals; claim_status.main installs them beside api.ERRORS."""

MESSAGES = Wired[MessageService]("messages")

router = customer_routes()


class ThreadMessage(BaseModel):
    message_id: str
    sender: Literal["customer", "handler"]
    text: str = Field(description="plain text as written (line breaks kept): never render it")
    at: str
    read: bool = Field(
        description="既読. The customer's message: the handler has read it. The handler's: the "
        "customer had read it before this request (false: new); this request marks it read"
    )


class Thread(BaseModel):
    claim_id: str
    office_hours: str = Field(description="the handler's 受付時間, shown beside the thread")
    closed: bool = Field(description="a resolved claim's thread is read-only")
    messages: list[ThreadMessage] = Field(description="oldest first: the newest at the bottom")


class NewMessage(RequestBody):
    text: MessageText


class Posted(BaseModel):
    message_id: str
    posted_at: datetime


@router.get(
    "/accidents/{claim_id}/messages",
    response_model=Thread,
    responses=MESSAGE_ERRORS.responses_for(*SIGNED_IN_CUSTOMER, NoSuchClaim),
)
async def read_thread(
    claim_id: ClaimId,
    customer_id: CustomerId,
    messages: Annotated[MessageService, Depends(MESSAGES)],
    language: Language,
    now: Now,
) -> Mapping[str, object]:
    """Reading the thread marks the handler's messages read (既読)."""
    found = await messages.read(customer_id, claim_id, language, now)
    if found is None:
        raise NoSuchClaim(claim_id)
    return found


@router.post(
    "/accidents/{claim_id}/messages",
    status_code=201,
    response_model=Posted,
    responses=MESSAGE_ERRORS.responses_for(
        *SIGNED_IN_CUSTOMER, NoSuchClaim, ClaimClosedForMessages, TooManyMessages, READ_ONLY
    ),
)
async def post_message(
    claim_id: ClaimId,
    body: NewMessage,
    customer_id: CustomerId,
    _writable: Writable,
    messages: Annotated[MessageService, Depends(MESSAGES)],
    now: Now,
) -> Posted:
    """The handler hears of it on claims.customer-submissions (CustomerMessagePosted)."""
    posted = await messages.post(customer_id, claim_id, body.text, now)
    return Posted(message_id=str(posted.message_id), posted_at=posted.posted_at)
