"""claims.adjuster-updates (inbound, keyed by claim id) and claims.status-events.

An adjuster update is one of sixteen types; each type's `data` has its own model, and the update is
a discriminated union on `type`, so an update is checked whole where it enters (the Kafka intake
and the adjusters' HTTP route alike) and the Claim's rules only ever see typed values. The JSON
Schema published for the builders of adjusters' systems (docs/contracts/) is generated from these
models (`python -m claims_shared.events.contracts`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Literal, cast, get_args
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

from claims_shared.events import topics
from claims_shared.events.envelope import EventData
from claims_shared.events.fields import (
    ClaimId,
    Identifier,
    IsoDate,
    JapanesePhone,
    Line,
    Name,
    OptionalLine,
    Paragraph,
    Sequence,
    Yen,
    required_when,
)

UpdateType = Literal[
    "claim_opened",
    "handler_assigned",
    "stage_changed",
    "coverage_updated",
    "customer_action_requested",
    "customer_action_completed",
    "payment_scheduled",
    "payment_made",
    "claim_closed",
    "claim_reopened",
    "note_added",
    "document_reviewed",
    "message_to_customer",
    "customer_messages_read",
    "claim_completed",
    "payment_deadline_extended",
]
StageCode = Literal[
    "reported",
    "handler_assigned",
    "investigating",
    "negotiating",
    "payment_processing",
    "paid",
    "closed",
]
CoverageCode = Literal[
    "bodily_injury", "property_damage", "personal_injury", "own_vehicle", "passenger"
]
CoverageStatus = Literal["reviewing", "investigating", "agreed", "paying", "paid", "not_covered"]
ExtensionReason = Literal[
    "public_authority_inquiry",
    "expert_examination",
    "after_effect_certification",
    "disaster_area",
    "overseas_investigation",
]
"""Why the payment deadline may be extended (保険法第21条 and the policy terms): an inquiry to
the police, prosecutors, fire service or another public authority; a medical or other expert
examination; the certification of an after-effect (後遺障害); an investigation in an area under
the Disaster Relief Act; an investigation outside Japan. Each reason's maximum days are the
insurer's to configure (claim-status's payment terms), not the contract's."""

AccountLastDigits = Annotated[StrictStr, StringConstraints(pattern=r"^[0-9]{4}$")]
"""The last four digits of the payee's account, ASCII: the adjusters' systems send only what the
customer is shown, never a full account number."""
BreakdownAmount = Annotated[StrictInt, Field(ge=-100_000_000_000, le=100_000_000_000)]
"""One line of a payment's breakdown in whole yen; negative for a deduction (免責金額, 過失相殺)."""


class UpdateData(BaseModel):
    """The data of one update type. Frozen and closed: a field we do not know is an error the
    sender should hear of, not something to drop silently."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ClaimOpened(UpdateData):
    customer_id: Identifier
    policy_number: Identifier
    claim_number: Identifier | None = None
    """The accident's number (事故受付番号) the customer quotes on the phone; without it the
    customer is shown the claim id."""
    accident_date: IsoDate
    summary: Line
    location: OptionalLine = ""
    vehicle: OptionalLine = ""


class HandlerAssigned(UpdateData):
    name: Name
    office: Name
    phone: JapanesePhone


class StageChanged(UpdateData):
    stage: StageCode


class CoverageUpdated(UpdateData):
    coverage: CoverageCode
    status: CoverageStatus


class CustomerActionRequested(UpdateData):
    action_id: Identifier
    description: Line
    due_date: IsoDate | None = None


class CustomerActionCompleted(UpdateData):
    action_id: Identifier


JAPAN = ZoneInfo("Asia/Tokyo")
"""The calendar the claim's days are in (its completion day, its payment deadline)."""

ACCOUNT_NUMBER_LIKE = re.compile(r"\d(?:[\s\-‐‑‒–—―−ー－]*\d){4,}")
"""Five digits or more in a row (ASCII or full-width, spaces and hyphens between them allowed):
an account number, which has no place in a bank's or a branch's name."""


class Payee(UpdateData):
    """Where a payment goes, as the customer may be shown it (masked): the account only by its
    last four digits, and no account number slipped into the bank's or the branch's name."""

    bank: Name
    branch: Name
    account_last_digits: AccountLastDigits

    @field_validator("bank", "branch")
    @classmethod
    def _no_account_number(cls, name: str) -> str:
        if ACCOUNT_NUMBER_LIKE.search(name):
            raise ValueError("five or more digits in a row: only account_last_digits may be sent")
        return name


class BreakdownLine(UpdateData):
    """One line of what a payment is made of (修理費, 免責金額 ...)."""

    item: Line
    amount: BreakdownAmount


class PaymentData(UpdateData):
    """What a scheduled and a made payment both say. `breakdown`, when given, sums to `amount`
    (a rule between fields the claim checks: InvalidUpdate, so the DLQ)."""

    payment_id: Identifier
    coverage: CoverageCode
    amount: Yen
    payee: Payee | None = None
    breakdown: list[BreakdownLine] | None = Field(default=None, max_length=100)


class PaymentScheduled(PaymentData):
    scheduled_on: IsoDate | None = None


class PaymentMade(PaymentData):
    paid_on: IsoDate | None = None


class ClaimClosed(UpdateData):
    pass


class ClaimReopened(UpdateData):
    stage: StageCode = "investigating"


class NoteAdded(UpdateData):
    text: Paragraph


ReviewResult = Literal["accepted", "resubmit"]


class DocumentReviewed(UpdateData):
    """The handler looked at a document the customer uploaded (DocumentSubmitted's
    document_id): accepted (確認済み), or resubmit (再提出のお願い) with the reason the customer
    reads."""

    document_id: UUID
    result: ReviewResult
    reason: Line | None = None

    _resubmit_says_why = required_when("reason", "a resubmit needs its reason", result="resubmit")


class MessageToCustomer(UpdateData):
    """A message from the handler on the claim's thread; the customer reads `text` as plain
    text (never HTML)."""

    message_id: UUID
    text: Paragraph


class CustomerMessagesRead(UpdateData):
    """The handler has read the customer's messages up to and including `up_to`
    (CustomerMessagePosted's message_id): the customer sees 既読 on them."""

    up_to: UUID


class ClaimCompleted(UpdateData):
    """Every document the claim needs is in (請求完了): the payment deadline counts from this
    day. None: the day of the update's occurred_at in Japan time. A later one corrects it."""

    completed_on: IsoDate | None = None


class PaymentDeadlineExtended(UpdateData):
    """The payment deadline is extended for one of the reasons the policy terms list; for one
    coverage (one the claim names through coverage_updated), or the whole claim when `coverage`
    is None. Only after claim_completed."""

    reason: ExtensionReason
    coverage: CoverageCode | None = None


class AdjusterUpdate(EventData):
    """One change an adjuster made to a claim; `sequence` counts from 1 per claim. Never built
    directly: `parse_adjuster_update` (or `AdjusterUpdate.of`) picks the subclass of its `type`."""

    event_type = "AdjusterUpdate"
    topic = topics.ADJUSTER_UPDATES

    update_id: UUID
    claim_id: ClaimId
    sequence: Sequence
    occurred_at: AwareDatetime
    adjuster_id: Identifier
    type: UpdateType
    data: UpdateData

    @classmethod
    def of(cls, **fields: object) -> AdjusterUpdate:
        """The update of `fields["type"]`, validated whole (data included)."""
        return ADJUSTER_UPDATE.validate_python(fields)


class ClaimOpenedUpdate(AdjusterUpdate):
    type: Literal["claim_opened"]
    data: ClaimOpened

    @model_validator(mode="after")
    def _accident_before_report(self) -> ClaimOpenedUpdate:
        """An accident is reported after it happened (a day's grace for time zones)."""
        if self.data.accident_date > self.occurred_at.date() + timedelta(days=1):
            raise ValueError("accident_date is after the update's occurred_at")
        if self.data.accident_date < date(2000, 1, 1):
            raise ValueError("accident_date is before 2000-01-01")
        return self


class HandlerAssignedUpdate(AdjusterUpdate):
    type: Literal["handler_assigned"]
    data: HandlerAssigned


class StageChangedUpdate(AdjusterUpdate):
    type: Literal["stage_changed"]
    data: StageChanged


class CoverageUpdatedUpdate(AdjusterUpdate):
    type: Literal["coverage_updated"]
    data: CoverageUpdated


class CustomerActionRequestedUpdate(AdjusterUpdate):
    type: Literal["customer_action_requested"]
    data: CustomerActionRequested


class CustomerActionCompletedUpdate(AdjusterUpdate):
    type: Literal["customer_action_completed"]
    data: CustomerActionCompleted


class PaymentScheduledUpdate(AdjusterUpdate):
    type: Literal["payment_scheduled"]
    data: PaymentScheduled


class PaymentMadeUpdate(AdjusterUpdate):
    type: Literal["payment_made"]
    data: PaymentMade

    @model_validator(mode="after")
    def _paid_by_the_report(self) -> PaymentMadeUpdate:
        """A payment reported as made was made by then (a day's grace for time zones): a
        paid_on in 2031 would show the customer money marked paid that has not been paid."""
        paid_on = self.data.paid_on
        if paid_on is not None and paid_on > self.occurred_at.date() + timedelta(days=1):
            raise ValueError("paid_on is after the update's occurred_at")
        return self


class ClaimClosedUpdate(AdjusterUpdate):
    type: Literal["claim_closed"]
    data: ClaimClosed = ClaimClosed()


class ClaimReopenedUpdate(AdjusterUpdate):
    type: Literal["claim_reopened"]
    data: ClaimReopened = ClaimReopened()


class NoteAddedUpdate(AdjusterUpdate):
    type: Literal["note_added"]
    data: NoteAdded


class DocumentReviewedUpdate(AdjusterUpdate):
    type: Literal["document_reviewed"]
    data: DocumentReviewed


class MessageToCustomerUpdate(AdjusterUpdate):
    type: Literal["message_to_customer"]
    data: MessageToCustomer


class CustomerMessagesReadUpdate(AdjusterUpdate):
    type: Literal["customer_messages_read"]
    data: CustomerMessagesRead


class ClaimCompletedUpdate(AdjusterUpdate):
    type: Literal["claim_completed"]
    data: ClaimCompleted = ClaimCompleted()

    @model_validator(mode="after")
    def _completed_by_the_report(self) -> ClaimCompletedUpdate:
        """A claim reported complete was complete by then: by the update's day in Japan, the
        calendar the payment deadline counts in (whatever offset occurred_at is written in)."""
        completed_on = self.data.completed_on
        if completed_on is not None and completed_on > self.occurred_at.astimezone(JAPAN).date():
            raise ValueError("completed_on is after the update's occurred_at")
        return self


class PaymentDeadlineExtendedUpdate(AdjusterUpdate):
    type: Literal["payment_deadline_extended"]
    data: PaymentDeadlineExtended


AnyAdjusterUpdate = Annotated[
    ClaimOpenedUpdate
    | HandlerAssignedUpdate
    | StageChangedUpdate
    | CoverageUpdatedUpdate
    | CustomerActionRequestedUpdate
    | CustomerActionCompletedUpdate
    | PaymentScheduledUpdate
    | PaymentMadeUpdate
    | ClaimClosedUpdate
    | ClaimReopenedUpdate
    | NoteAddedUpdate
    | DocumentReviewedUpdate
    | MessageToCustomerUpdate
    | CustomerMessagesReadUpdate
    | ClaimCompletedUpdate
    | PaymentDeadlineExtendedUpdate,
    Field(discriminator="type"),
]
"""The adjuster update contract: one model per `type`."""

ADJUSTER_UPDATE: TypeAdapter[AdjusterUpdate] = TypeAdapter(AnyAdjusterUpdate)

UPDATE_DATA: dict[str, type[UpdateData]] = {
    get_args(update.model_fields["type"].annotation)[0]: cast(
        type[UpdateData], update.model_fields["data"].annotation
    )
    for update in get_args(get_args(AnyAdjusterUpdate)[0])
}
"""Each update type's data model: what the Claim folds its stored events with."""


def parse_adjuster_update(value: bytes | str) -> AdjusterUpdate:
    """An update from its JSON (a held update read back, a request body)."""
    return ADJUSTER_UPDATE.validate_json(value)


class ClaimStatusChanged(EventData):
    """A change the customer should hear of. Carries no claim details: the mail only says
    'log in to see it'."""

    event_type = "ClaimStatusChanged"
    topic = topics.CLAIM_STATUS_EVENTS

    claim_id: str
    customer_id: str
    change: UpdateType
    stage: StageCode
    sequence: int


__all__ = [
    "ADJUSTER_UPDATE",
    "JAPAN",
    "UPDATE_DATA",
    "AdjusterUpdate",
    "AnyAdjusterUpdate",
    "BreakdownLine",
    "ClaimCompleted",
    "ClaimStatusChanged",
    "CoverageCode",
    "CoverageStatus",
    "CustomerMessagesRead",
    "DocumentReviewed",
    "ExtensionReason",
    "MessageToCustomer",
    "Payee",
    "PaymentDeadlineExtended",
    "ReviewResult",
    "StageCode",
    "UpdateData",
    "UpdateType",
    "parse_adjuster_update",
]
