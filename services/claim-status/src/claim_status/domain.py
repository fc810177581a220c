"""Accident claims and the rules adjusters' updates must follow. Pure: no I/O.

A claim's state is a `ClaimDocument` folded from its updates by `evolve`; the Claim aggregate and
the customer read model fold the same updates with the same function, so what the customer sees is
exactly what the rules accepted. `check` says why an update may not be applied. `UPDATE_KINDS` is
the one table of what each kind of update does (the facts it folds in, the stage it reaches, what
the timeline keeps of it). How a claim is worded for customers is not here: see presentation.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, TypedDict, TypeVar, cast, get_args

import orjson
from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel
from pydantic_core import PydanticUndefinedType

from claims_shared.events.claims import (
    JAPAN,
    AdjusterUpdate,
    ClaimClosed,
    ClaimCompleted,
    ClaimOpened,
    ClaimReopened,
    CoverageCode,
    CoverageStatus,
    CoverageUpdated,
    CustomerActionCompleted,
    CustomerActionRequested,
    CustomerMessagesRead,
    DocumentReviewed,
    ExtensionReason,
    HandlerAssigned,
    MessageToCustomer,
    NoteAdded,
    PaymentData,
    PaymentDeadlineExtended,
    PaymentMade,
    PaymentScheduled,
    ReviewResult,
    StageChanged,
    StageCode,
    UpdateData,
    UpdateType,
)

STAGES: tuple[StageCode, ...] = get_args(StageCode)  # in order; the contract lists them
COVERAGES: tuple[CoverageCode, ...] = get_args(CoverageCode)
"""In the usual order: 対人・対物・人身傷害・車両, then 搭乗者傷害."""

PaymentStatus = Literal["scheduled", "made"]

StoredData = dict[str, object]
"""An update's data as the event store keeps it: the JSON object of the fields the sender set."""


# The claim document. It is stored as JSON (the read model's `detail` column, and the cache of
# it), so these are TypedDicts: the keys are the stored keys, and documents written by earlier
# releases load as they are. Codes are the contract's Literals; a document written before the
# contract knew a code may still hold one it no longer lists, and the presentation shows such a
# code as it is rather than failing.


class Handler(TypedDict):
    """The claims handler (担当者) the customer can call."""

    name: str
    office: str
    phone: str


class CustomerAction(TypedDict):
    """Something asked of the customer (a document, a signature); open until completed."""

    description: str
    due_date: str | None
    completed: bool


class Payee(TypedDict):
    """Where a payment goes, as the adjuster sent it: never more than the account's last four
    digits."""

    bank: str
    branch: str
    account_last_digits: str


class BreakdownLine(TypedDict):
    item: str
    amount: int  # yen; negative for a deduction


class PaymentDetails(TypedDict, total=False):
    """Where a payment goes and what it is made of; each key only when the adjuster sent it
    (a payment an earlier release stored has neither)."""

    payee: Payee
    breakdown: list[BreakdownLine]


class Payment(PaymentDetails):
    """A payment of one coverage, scheduled or made; `date` is when (if the adjuster said)."""

    coverage: CoverageCode
    amount: int
    status: PaymentStatus
    date: str | None


class DeadlineExtension(TypedDict):
    """An extension of the payment deadline (payment_deadline_extended): for one coverage, or
    the whole claim when `coverage` is None; `at` is the update's occurred_at."""

    reason: ExtensionReason
    coverage: CoverageCode | None
    at: str


class DocumentReview(TypedDict):
    """The handler's review of a document the customer uploaded (document_reviewed)."""

    result: ReviewResult
    reason: str | None


class HandlerMessage(TypedDict):
    """A message from the handler on the claim's thread (message_to_customer)."""

    message_id: str
    text: str
    at: str


class TimelineData(TypedDict, total=False):
    """What the timeline keeps of an update: only what its wording needs."""

    stage: StageCode
    coverage: CoverageCode
    status: CoverageStatus
    description: str
    amount: int
    text: str
    result: ReviewResult
    completed_on: str
    reason: ExtensionReason


class TimelineEntry(TypedDict):
    type: UpdateType
    at: str
    data: TimelineData


class HandlersAnswers(TypedDict, total=False):
    """What the handler answered the customer's documents and messages with. Each key only
    once an update of its kind came: a document an earlier release stored has none."""

    documents_reviewed: dict[str, DocumentReview]  # by document id
    messages: list[HandlerMessage]  # the handler's, oldest first
    handler_read_up_to: str  # the customer's message the handler has read up to


class PaymentDeadlineFacts(TypedDict, total=False):
    """What the payment deadline and the customer's phone call need. Each key only once an
    update set it: a document an earlier release stored has none."""

    claim_number: str  # 事故受付番号; without it the customer is shown the claim id
    completed_on: str  # the day every required document was in (claim_completed)
    deadline_extensions: list[DeadlineExtension]  # oldest first


class ClaimDocument(HandlersAnswers, PaymentDeadlineFacts):
    """One claim as the customer may see it, keyed as it is stored. The Claim aggregate keeps
    the same document without its timeline."""

    customer_id: str
    policy_number: str
    accident_date: str
    location: str
    summary: str
    vehicle: str
    stage: StageCode
    handler: Handler | None
    coverages: dict[CoverageCode, CoverageStatus]
    actions: dict[str, CustomerAction]  # by action id
    payments: dict[str, Payment]  # by payment id
    timeline: list[TimelineEntry]  # oldest first
    closed: bool
    sequence: int
    updated_at: str


class InvalidUpdate(ValueError):
    """An update that breaks a rule; the message is the reason operations see in the DLQ."""


class ConflictingUpdate(InvalidUpdate):
    """An update id seen before with other content: the sender reused an id, and which of the
    two it meant is for a person to decide (the DLQ), not for us to guess."""


def claim_key(claim_id: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"claims-status:claim:{claim_id}")


FUTURE_GRACE = timedelta(minutes=5)
"""How far ahead of our clock an update's occurred_at may be (clocks drift; 2099 is a mistake)."""


def check_timing(occurred_at: datetime, now: datetime) -> None:
    if occurred_at > now + FUTURE_GRACE:
        raise InvalidUpdate(f"occurred_at {occurred_at.isoformat()} is in the future")


def data_of(kind: UpdateType, stored: StoredData) -> UpdateData:
    """The typed data of an update as the event store holds it. Not validated again: it was
    validated when it was accepted (and older events must still load)."""
    return _CONSTRUCTORS[kind](stored)


def _constructor(model: type[UpdateData]) -> Callable[[StoredData], UpdateData]:
    """What pydantic's `model_construct(None, **stored)` makes of `stored`, for a model with
    no aliases, no default factories, no private attributes, no post-init and extra fields
    forbidden (every UpdateData; a model outside that takes model_construct itself): fields in
    the model's order, the stored values, the defaults of the others, the stored ones as set.
    model_construct works all of that out again on every call, for every field; it was a
    sixteenth of the followers' Python (it folds every update) and a thirtieth of the intake's.
    A stored key the model no longer has (an older release's) also takes model_construct."""
    fields = model.__pydantic_fields__
    if (
        model.model_config.get("extra") == "allow"
        or model.__pydantic_post_init__ is not None
        or model.__private_attributes__
        or model.__pydantic_root_model__
        or any(
            f.alias is not None or f.validation_alias is not None or f.default_factory is not None
            for f in fields.values()
        )
        or any(type(f.default) not in _IMMUTABLE_DEFAULTS for f in fields.values())
    ):
        return lambda stored: model.model_construct(None, **stored)
    spec = tuple((name, not field.is_required(), field.default) for name, field in fields.items())
    names = frozenset(fields)
    new = model.__new__
    set_attribute = object.__setattr__

    def construct(stored: StoredData) -> UpdateData:
        if not names.issuperset(stored):
            return model.model_construct(None, **stored)
        values: dict[str, object] = {}
        for name, optional, default in spec:
            if name in stored:
                values[name] = stored[name]
            elif optional:
                values[name] = default
        data = new(model)
        set_attribute(data, "__dict__", values)
        set_attribute(data, "__pydantic_fields_set__", set(stored))
        set_attribute(data, "__pydantic_extra__", None)
        set_attribute(data, "__pydantic_private__", None)
        return data

    return construct


_IMMUTABLE_DEFAULTS = frozenset({type(None), str, int, bool, PydanticUndefinedType})
"""Defaults model_construct would give as they are (it deep-copies others: a list, a dict)."""


def stored_data(data: UpdateData) -> StoredData:
    """What the event store keeps of an update's data: the fields the sender set, as JSON."""
    return data.model_dump(mode="json", exclude_unset=True)


def fingerprint(sequence: int, kind: str, stored: StoredData) -> int:
    """Tells a redelivered update (same fingerprint) from another one under the same id."""
    return hash((sequence, kind, orjson.dumps(stored, option=orjson.OPT_SORT_KEYS)))


def _stage_index(stage: str) -> int:
    if stage not in STAGES:
        raise InvalidUpdate(f"unknown stage {stage!r}")
    return STAGES.index(stage)


def check(state: ClaimDocument | None, data: UpdateData) -> None:
    """Why `data` may not be applied to `state` (None: the claim does not exist yet). The
    update's shape was checked where it came in; these are the rules between updates."""
    if isinstance(data, ClaimOpened):
        if state is not None:
            raise InvalidUpdate("claim already opened")
        return
    kind = KIND_OF[type(data)]
    if state is None:
        raise InvalidUpdate(f"{kind} before claim_opened")
    if state["closed"] and not isinstance(data, ClaimReopened | NoteAdded | CustomerMessagesRead):
        raise InvalidUpdate(f"{kind} on a closed claim (only claim_reopened may follow)")
    _check_kind(state, data)


def _check_kind(state: ClaimDocument, data: UpdateData) -> None:
    if isinstance(data, StageChanged):
        new, current = _stage_index(data.stage), _stage_index(state["stage"])
        if data.stage == "closed":
            raise InvalidUpdate("close a claim with claim_closed")
        if new < current or (new == current and data.stage != "investigating"):
            raise InvalidUpdate(f"stage may not go from {state['stage']} to {data.stage}")
    elif isinstance(data, CustomerActionRequested):
        if data.action_id in state["actions"]:
            raise InvalidUpdate(f"action {data.action_id} already requested")
    elif isinstance(data, CustomerActionCompleted):
        action = state["actions"].get(data.action_id)
        if action is None or action["completed"]:
            raise InvalidUpdate(f"no open action {data.action_id}")
    elif isinstance(data, PaymentScheduled | PaymentMade):
        _check_payment(state, data)
    elif isinstance(data, PaymentDeadlineExtended):
        if "completed_on" not in state:
            raise InvalidUpdate("payment_deadline_extended before claim_completed")
        if data.coverage is not None and data.coverage not in state["coverages"]:
            # Deadlines are kept per coverage the claim names: an extension of any other would
            # be shown to the customer and change no deadline.
            raise InvalidUpdate(
                f"payment_deadline_extended for {data.coverage}, a coverage this claim does not"
                " name (coverage_updated first)"
            )
    elif isinstance(data, MessageToCustomer):
        message_id = str(data.message_id)
        if any(m["message_id"] == message_id for m in state.get("messages", [])):
            raise InvalidUpdate(f"message {message_id} already sent")
    elif isinstance(data, ClaimReopened):
        if not state["closed"]:
            raise InvalidUpdate("claim_reopened on a claim that is not closed")
        if data.stage == "closed":
            raise InvalidUpdate("a claim is reopened at a stage before closed")


def _check_payment(state: ClaimDocument, data: PaymentData) -> None:
    if isinstance(data, PaymentScheduled) and data.payment_id in state["payments"]:
        raise InvalidUpdate(f"payment {data.payment_id} is already known (scheduled or made)")
    if data.breakdown is not None:
        total = sum(line.amount for line in data.breakdown)
        if total != data.amount:
            raise InvalidUpdate(
                f"payment {data.payment_id}: the breakdown sums to {total}, not {data.amount}"
            )


def evolve(
    state: ClaimDocument | None,
    data: UpdateData,
    *,
    sequence: int,
    occurred_at: str,
    timeline: bool = True,
) -> ClaimDocument:
    """The claim after one accepted update. Folds into `state` in place (no copy: a claim's
    document grows with its timeline) or makes the document for claim_opened. The Claim keeps
    no timeline (`timeline=False`): no rule reads it, and thousands of claims' timelines held
    in memory made the garbage collector's pauses the longest wait of an update."""
    name = KIND_OF[type(data)]
    kind = UPDATE_KINDS[name]
    claim = _opened(data) if state is None else state
    claim["stage"] = kind.stage_from(claim["stage"], data)
    claim["updated_at"] = occurred_at  # before the fold, which may date what it keeps by it
    kind.fold(claim, data)
    claim["sequence"] = sequence
    if timeline and kind.on_timeline:
        told = kind.told(claim, data)
        claim["timeline"].append({"type": name, "at": occurred_at, "data": told})
    return claim


def stage_after(state: ClaimDocument | None, data: UpdateData) -> StageCode:
    """The stage an accepted update leads to (what `evolve` will set), without folding it."""
    current = STAGES[0] if state is None else state["stage"]
    return UPDATE_KINDS[KIND_OF[type(data)]].stage_from(current, data)


def stages_reached(timeline: Iterable[TimelineEntry]) -> set[StageCode]:
    """The stages the timeline shows the claim reached: each entry's kind's own (claim_opened
    事故受付, handler_assigned 担当者決定 even when assigned late, claim_closed 解決), or the stage
    it names as the timeline kept it (stage_changed's; claim_reopened's is not kept). A kind an
    earlier release stored and the table no longer knows reaches nothing."""
    reached: set[StageCode] = set()
    for entry in timeline:
        kind = UPDATE_KINDS.get(entry["type"])
        stage = None if kind is None else kind.reached_in(entry["data"])
        if stage is not None:
            reached.add(stage)
    return reached


def _opened(data: UpdateData) -> ClaimDocument:
    assert isinstance(data, ClaimOpened), "only claim_opened starts a claim"
    claim = _opened_as_before(data)
    if data.claim_number is not None:
        claim["claim_number"] = data.claim_number
    return claim


def _opened_as_before(data: ClaimOpened) -> ClaimDocument:
    return {
        "customer_id": data.customer_id,
        "policy_number": data.policy_number,
        "accident_date": str(data.accident_date),
        "location": data.location,
        "summary": data.summary,
        "vehicle": data.vehicle,
        "stage": "reported",
        "handler": None,
        "coverages": {},
        "actions": {},
        "payments": {},
        "timeline": [],
        "closed": False,
        "sequence": 0,
        "updated_at": "",
    }


def _optional_date(value: object) -> str | None:
    return None if value is None else str(value)


def japan_date(moment: str) -> date:
    """The calendar day in Japan of an ISO moment (an update's occurred_at)."""
    return datetime.fromisoformat(moment).astimezone(JAPAN).date()


def _as_json(value: object) -> object:
    """A nested value of an update's data as the document keeps it: typed when the update came
    in, already JSON when the data was read back from the event store (`data_of`)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def _handler_assigned(claim: ClaimDocument, data: HandlerAssigned) -> None:
    claim["handler"] = {"name": data.name, "office": data.office, "phone": data.phone}


def _coverage_updated(claim: ClaimDocument, data: CoverageUpdated) -> None:
    claim["coverages"][data.coverage] = data.status


def _action_requested(claim: ClaimDocument, data: CustomerActionRequested) -> None:
    claim["actions"][data.action_id] = {
        "description": data.description,
        "due_date": _optional_date(data.due_date),
        "completed": False,
    }


def _action_completed(claim: ClaimDocument, data: CustomerActionCompleted) -> None:
    claim["actions"][data.action_id]["completed"] = True


def _payment_scheduled(claim: ClaimDocument, data: PaymentScheduled) -> None:
    _record_payment(claim, data, "scheduled", data.scheduled_on)


def _payment_made(claim: ClaimDocument, data: PaymentMade) -> None:
    _record_payment(claim, data, "made", data.paid_on)


def _record_payment(
    claim: ClaimDocument,
    data: PaymentScheduled | PaymentMade,
    status: PaymentStatus,
    on: object,
) -> None:
    """Scheduling a payment and making it write the same line: the later one replaces it,
    keeping the payee and the breakdown the earlier one gave when it gives none (a breakdown
    only while the amount is the same: it sums to the amount)."""
    earlier = claim["payments"].get(data.payment_id)
    payment: Payment = {
        "coverage": data.coverage,
        "amount": data.amount,
        "status": status,
        "date": _optional_date(on),
    }
    payee = cast(Payee | None, _as_json(data.payee))
    breakdown = cast(list[BreakdownLine] | None, _as_json(data.breakdown))
    if earlier is not None:
        payee = payee or earlier.get("payee")
        if breakdown is None and earlier["amount"] == data.amount:
            breakdown = earlier.get("breakdown")
    if payee is not None:
        payment["payee"] = payee
    if breakdown is not None:
        payment["breakdown"] = breakdown
    claim["payments"][data.payment_id] = payment


def _claim_completed(claim: ClaimDocument, data: ClaimCompleted) -> None:
    """The day all required documents were in; a later update corrects it."""
    given = _optional_date(data.completed_on)
    claim["completed_on"] = given or japan_date(claim["updated_at"]).isoformat()


def _deadline_extended(claim: ClaimDocument, data: PaymentDeadlineExtended) -> None:
    claim.setdefault("deadline_extensions", []).append(
        {"reason": data.reason, "coverage": data.coverage, "at": claim["updated_at"]}
    )


def _document_reviewed(claim: ClaimDocument, data: DocumentReviewed) -> None:
    """A later review of the same document (accepted after a resubmit) replaces the earlier."""
    reviews = claim.setdefault("documents_reviewed", {})
    reviews[str(data.document_id)] = {"result": data.result, "reason": data.reason}


def _message_to_customer(claim: ClaimDocument, data: MessageToCustomer) -> None:
    claim.setdefault("messages", []).append(
        {"message_id": str(data.message_id), "text": data.text, "at": claim["updated_at"]}
    )


def _customer_messages_read(claim: ClaimDocument, data: CustomerMessagesRead) -> None:
    claim["handler_read_up_to"] = str(data.up_to)


def _claim_closed(claim: ClaimDocument, data: ClaimClosed) -> None:
    claim["closed"] = True


def _claim_reopened(claim: ClaimDocument, data: ClaimReopened) -> None:
    claim["closed"] = False


def _extension_told(data: PaymentDeadlineExtended) -> TimelineData:
    told: TimelineData = {"reason": data.reason}
    if data.coverage is not None:
        told["coverage"] = data.coverage
    return told


Fold = Callable[[ClaimDocument, UpdateData], None]
Told = Callable[[ClaimDocument, UpdateData], TimelineData]
Names = Callable[[UpdateData], StageCode]


@dataclass(frozen=True)
class UpdateKind:
    """What one kind of adjusters' update does to a claim. Built by `_kind`, which takes the
    functions typed for the kind's own data and checks each call's data is of that type."""

    data: type[UpdateData]
    fold: Fold
    """Folds the update's facts, other than the stage, into the document."""
    told: Told
    """What the timeline keeps of the update (read after `fold`)."""
    reaches: StageCode | Names | None
    """The stage every update of this kind reaches, or how to read the one an update names;
    None: it leaves the stage where it is."""
    forward_only: bool
    """Reaching its stage never moves the claim back: a handler assigned once the investigation
    began leaves the claim at 損害調査中."""
    on_timeline: bool = True
    """Whether the customer's timeline shows it (the handler's 既読 mark is shown on the
    messages instead)."""

    def stage_from(self, current: StageCode, data: UpdateData) -> StageCode:
        """The stage of a claim at `current` once this update is applied."""
        reached = self.reaches(data) if callable(self.reaches) else self.reaches
        if reached is None:
            return current
        if self.forward_only and STAGES.index(reached) <= STAGES.index(current):
            return current
        return reached

    def reached_in(self, told: TimelineData) -> StageCode | None:
        """The stage a timeline entry of this kind shows was reached."""
        return told.get("stage") if callable(self.reaches) else self.reaches


D = TypeVar("D", bound=UpdateData)


def _kind(
    data: type[D],
    fold: Callable[[ClaimDocument, D], None] | None = None,
    *,
    told: Callable[[ClaimDocument, D], TimelineData] | None = None,
    reaches: StageCode | Callable[[D], StageCode] | None = None,
    forward_only: bool = False,
    on_timeline: bool = True,
) -> UpdateKind:
    def narrow(given: UpdateData) -> D:
        assert isinstance(given, data), f"{type(given).__name__} is not {data.__name__}"
        return given

    def fold_any(claim: ClaimDocument, given: UpdateData) -> None:
        if fold is not None:
            fold(claim, narrow(given))

    def told_any(claim: ClaimDocument, given: UpdateData) -> TimelineData:
        return {} if told is None else told(claim, narrow(given))

    def names_any(given: UpdateData) -> StageCode:
        assert callable(reaches)
        return reaches(narrow(given))

    return UpdateKind(
        data=data,
        fold=fold_any,
        told=told_any,
        reaches=names_any if callable(reaches) else reaches,
        forward_only=forward_only,
        on_timeline=on_timeline,
    )


UPDATE_KINDS: dict[UpdateType, UpdateKind] = {
    "claim_opened": _kind(ClaimOpened, reaches="reported"),
    "handler_assigned": _kind(
        HandlerAssigned, _handler_assigned, reaches="handler_assigned", forward_only=True
    ),
    "stage_changed": _kind(
        StageChanged,
        reaches=lambda data: data.stage,
        told=lambda claim, data: {"stage": data.stage},
    ),
    "coverage_updated": _kind(
        CoverageUpdated,
        _coverage_updated,
        told=lambda claim, data: {"coverage": data.coverage, "status": data.status},
    ),
    "customer_action_requested": _kind(
        CustomerActionRequested,
        _action_requested,
        told=lambda claim, data: {"description": data.description},
    ),
    "customer_action_completed": _kind(
        CustomerActionCompleted,
        _action_completed,
        told=lambda claim, data: {"description": claim["actions"][data.action_id]["description"]},
    ),
    "payment_scheduled": _kind(
        PaymentScheduled,
        _payment_scheduled,
        told=lambda claim, data: {"coverage": data.coverage, "amount": data.amount},
    ),
    "payment_made": _kind(
        PaymentMade,
        _payment_made,
        told=lambda claim, data: {"coverage": data.coverage, "amount": data.amount},
    ),
    "claim_closed": _kind(ClaimClosed, _claim_closed, reaches="closed"),
    "claim_reopened": _kind(ClaimReopened, _claim_reopened, reaches=lambda data: data.stage),
    "note_added": _kind(NoteAdded, told=lambda claim, data: {"text": data.text}),
    "document_reviewed": _kind(
        DocumentReviewed, _document_reviewed, told=lambda claim, data: {"result": data.result}
    ),
    "message_to_customer": _kind(MessageToCustomer, _message_to_customer),
    "customer_messages_read": _kind(
        CustomerMessagesRead, _customer_messages_read, on_timeline=False
    ),
    "claim_completed": _kind(
        ClaimCompleted,
        _claim_completed,
        told=lambda claim, data: {"completed_on": claim["completed_on"]},
    ),
    "payment_deadline_extended": _kind(
        PaymentDeadlineExtended,
        _deadline_extended,
        told=lambda claim, data: _extension_told(data),
    ),
}
"""Each kind of update and what it does: the one place that says which update moves the claim
to which stage. Its data types are the contract's (a test holds it to UPDATE_DATA)."""

KIND_OF: dict[type[UpdateData], UpdateType] = {
    kind.data: name for name, kind in UPDATE_KINDS.items()
}

_CONSTRUCTORS: dict[UpdateType, Callable[[StoredData], UpdateData]] = {
    name: _constructor(kind.data) for name, kind in UPDATE_KINDS.items()
}
"""`data_of` for each kind."""


class Claim(Aggregate):
    """One accident claim. Every accepted update is one UpdateApplied event."""

    class UpdateApplied(Aggregate.Event):
        """Carries the claim id, customer and resulting stage too, so that projections and the
        relay need not load the claim. Triggered directly rather than through eventsourcing's
        @event decorator, whose argument matching was a tenth of the intake's CPU. `data` is
        what `stored_data` keeps of the typed update."""

        claim_id: str
        customer_id: str
        stage: StageCode
        update_id: str
        sequence: int
        kind: UpdateType
        data: StoredData
        occurred_at: str

        def apply(self, aggregate: Claim) -> None:
            aggregate.state = evolve(
                aggregate.state,
                data_of(self.kind, self.data),
                sequence=self.sequence,
                occurred_at=self.occurred_at,
                timeline=False,
            )
            aggregate.applied[self.update_id] = fingerprint(self.sequence, self.kind, self.data)

    @staticmethod
    def create_id(claim_id: str) -> uuid.UUID:
        return claim_key(claim_id)

    @event("Registered")
    def __init__(self, claim_id: str) -> None:
        self.claim_id = claim_id
        self.state: ClaimDocument | None = None
        self.applied: dict[str, int] = {}  # update id -> fingerprint of what it said

    @property
    def last_sequence(self) -> int:
        return 0 if self.state is None else self.state["sequence"]

    def seen(self, update: AdjusterUpdate) -> bool:
        """Whether this update was applied already; raises ConflictingUpdate when its id was
        applied with other content."""
        known = self.applied.get(str(update.update_id))
        if known is None:
            return False
        if known != fingerprint(update.sequence, update.type, stored_data(update.data)):
            raise ConflictingUpdate(
                f"update_id {update.update_id} was already applied with other content"
            )
        return True

    def apply_update(self, update: AdjusterUpdate) -> None:
        if update.sequence != self.last_sequence + 1:
            raise InvalidUpdate(
                f"sequence {update.sequence} is not next ({self.last_sequence + 1})"
            )
        data = update.data
        check(self.state, data)
        customer_id = (
            data.customer_id
            if isinstance(data, ClaimOpened)
            else (self.state["customer_id"] if self.state else "")
        )
        self.trigger_event(
            self.UpdateApplied,
            claim_id=self.claim_id,
            customer_id=customer_id,
            stage=stage_after(self.state, data),
            update_id=str(update.update_id),
            sequence=update.sequence,
            kind=update.type,
            data=stored_data(data),
            occurred_at=update.occurred_at.isoformat(),
        )
