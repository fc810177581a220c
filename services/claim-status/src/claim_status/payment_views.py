"""How the money side of a claim is shown: the payment deadline in words (お支払い期限の目安), the
payee with only the account's last digits, the breakdown and the totals. The views the API
answers with (presentation.py puts them in the detail) and their response models, in one place.
Reads what the domain folded and deadlines.py counted; decides nothing."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from pydantic import BaseModel, Field

from claim_status.deadlines import Deadline, PaymentTerms
from claim_status.domain import ClaimDocument, Payment
from claims_shared.errors import Message
from claims_shared.events.claims import ExtensionReason

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BASIS = Message(
    "必要書類がそろった{day}から{days}日",
    "{days} days from {day}, when all required documents were in",
)
"""Why the deadline is that day, as 「お支払い期限の目安：12月1日（必要書類がそろった11月2日から
30日）」 reads: the days are the base period's or the extension's that sets the date."""


def day_in_words(day: date, language: str) -> str:
    """A day as the customer reads it beside a deadline: 11月2日, 2 Nov."""
    if language == "ja":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {MONTHS_EN[day.month - 1]}"


def reason_label(reason: ExtensionReason, terms: PaymentTerms, language: str) -> str:
    """An extension's reason in the insurer's words; one the terms no longer list, as its code."""
    term = terms.extensions.get(reason)
    return reason if term is None else term.label.in_language(language)


class ReasonView(TypedDict):
    code: str
    label: str


class ExtensionView(TypedDict):
    reason: ReasonView
    until: str


class PaymentDeadlineView(TypedDict):
    date: str
    completed_on: str
    basis: str
    extension: ExtensionView | None


class PayeeView(TypedDict):
    bank: str
    branch: str
    account: str  # ****1234


class BreakdownLineView(TypedDict):
    item: str
    amount: int


class PaymentTotalsView(TypedDict):
    paid: int
    scheduled: int


def deadline_view(
    due: Deadline | None, terms: PaymentTerms, language: str
) -> PaymentDeadlineView | None:
    if due is None:
        return None
    extension = due.extension
    basis = BASIS.in_language(language)
    return {
        "date": due.due_on.isoformat(),
        "completed_on": due.completed_on.isoformat(),
        "basis": basis.format(day=day_in_words(due.completed_on, language), days=due.days),
        "extension": None
        if extension is None
        else {
            "reason": {
                "code": extension.reason,
                "label": reason_label(extension.reason, terms, language),
            },
            "until": extension.until.isoformat(),
        },
    }


def payee_view(payment: Payment) -> PayeeView | None:
    """The payee masked: the account is never more than its last four digits."""
    payee = payment.get("payee")
    if payee is None:
        return None
    masked = "****" + payee["account_last_digits"]
    return {"bank": payee["bank"], "branch": payee["branch"], "account": masked}


def breakdown_view(payment: Payment) -> list[BreakdownLineView]:
    return [
        {"item": line["item"], "amount": line["amount"]} for line in payment.get("breakdown", [])
    ]


def payment_totals(claim: ClaimDocument) -> PaymentTotalsView:
    """What was paid and what is scheduled still, over every payment of the claim."""
    payments = claim["payments"].values()
    return {
        "paid": sum(p["amount"] for p in payments if p["status"] == "made"),
        "scheduled": sum(p["amount"] for p in payments if p["status"] == "scheduled"),
    }


class Reason(BaseModel):
    code: str = Field(description="the contract's ExtensionReason")
    label: str = Field(description="the reason in the insurer's words (payment terms)")


class DeadlineExtension(BaseModel):
    reason: Reason
    until: str = Field(description="the day the extension runs to (YYYY-MM-DD)")


class PaymentDeadline(BaseModel):
    """お支払い期限の目安: the latest day the insurer pays by, counted from the day every
    required document was in (that day included)."""

    date: str = Field(description="the latest payment date (YYYY-MM-DD)")
    completed_on: str = Field(description="the day every required document was in")
    basis: str = Field(description="why that day, in words: 必要書類がそろった11月2日から30日")
    extension: DeadlineExtension | None = Field(
        description="the extension that sets the date, if one does"
    )


class Payee(BaseModel):
    bank: str
    branch: str
    account: str = Field(description="masked: ****1234 (the last four digits only)")


class BreakdownLine(BaseModel):
    item: str
    amount: int = Field(description="yen; negative for a deduction")


class PaymentTotals(BaseModel):
    paid: int = Field(description="yen paid so far")
    scheduled: int = Field(description="yen scheduled and not yet paid")
