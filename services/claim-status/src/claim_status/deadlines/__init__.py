"""The payment deadline (お支払い期限の目安) of a claim and of each coverage still to be paid.

保険法第21条 and the policy terms: the insurer pays within 30 days of the day the claim became
complete (every required document in), that day counted as day 1 (「請求完了日からその日を含めて
30日以内」), or, for a reason the terms list, within that reason's longer period from the same
day. The periods are the insurer's data (payment_terms.toml, or CLAIM_STATUS_PAYMENT_TERMS_FILE),
read once at start-up. Pure: reads the claim document the domain folds and decides nothing about
how it is worded (presentation.py) or where it is read from (deadline_watch.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from claim_status.domain import ClaimDocument
from claims_shared.errors import Message
from claims_shared.events.claims import CoverageCode, ExtensionReason

REASONS: tuple[ExtensionReason, ...] = get_args(ExtensionReason)


class PaymentTermsError(ValueError):
    """The payment terms file cannot be used: the service does not start on it."""


@dataclass(frozen=True)
class ExtensionTerm:
    days: int  # counted from the completion day, that day included
    label: Message  # the reason as the customer reads it


@dataclass(frozen=True)
class PaymentTerms:
    base_days: int
    extensions: dict[ExtensionReason, ExtensionTerm]


class _Term(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    days: StrictInt = Field(gt=0, le=3650)
    ja: StrictStr = Field(min_length=1)
    en: StrictStr = Field(min_length=1)


class _TermsFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    base_days: StrictInt = Field(gt=0, le=3650)
    extensions: dict[str, _Term]


def load_terms(path: Path | None = None) -> PaymentTerms:
    """The terms in `path`, or the ones shipped with the service. Refuses a file that misses a
    reason the adjuster update contract knows (an extension for it could not be counted) or
    names one it does not (a typo would silently never apply)."""
    where = str(path) if path else "claim_status/payment_terms.toml"
    try:
        text = path.read_bytes() if path else _bundled().read_bytes()
        read = _TermsFile.model_validate(tomllib.loads(text.decode()))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValidationError) as error:
        raise PaymentTermsError(f"payment terms {where}: {error}") from error
    missing = sorted(set(REASONS) - set(read.extensions))
    unknown = sorted(set(read.extensions) - set(REASONS))
    if missing or unknown:
        raise PaymentTermsError(
            f"payment terms {where}: no [extensions.<reason>] for {missing}; "
            f"unknown reasons {unknown}; the contract's reasons are {list(REASONS)}"
        )
    return PaymentTerms(
        base_days=read.base_days,
        extensions={
            reason: ExtensionTerm(term.days, Message(term.ja, term.en))
            for reason, term in read.extensions.items()
            if reason in REASONS
        },
    )


def _bundled() -> Path:
    return Path(str(resources.files("claim_status").joinpath("payment_terms.toml")))


@cache
def shipped_terms() -> PaymentTerms:
    """The terms shipped with the service, for callers given none (tests, tools)."""
    return load_terms()


@dataclass(frozen=True)
class Extension:
    """The extension that sets a deadline: its reason and the day it runs to."""

    reason: ExtensionReason
    until: date


@dataclass(frozen=True)
class Deadline:
    """The latest payment date (`due_on`), the completion day it counts from, the days counted
    (the base period's or the extension's) and the extension, when one sets the date."""

    due_on: date
    completed_on: date
    days: int
    extension: Extension | None


def last_day(completed_on: date, days: int) -> date:
    """The last day of `days` counted from `completed_on` as day 1 (30 days from 1 Nov: 30 Nov)."""
    return completed_on + timedelta(days=days - 1)


def deadline(
    completed_on: date, reasons: Iterable[ExtensionReason], terms: PaymentTerms
) -> Deadline:
    """The latest of the base period and each extension's period, all from `completed_on`. A
    reason the terms do not know (stored before the terms dropped it) extends nothing."""
    latest = Deadline(last_day(completed_on, terms.base_days), completed_on, terms.base_days, None)
    for reason in reasons:
        term = terms.extensions.get(reason)
        if term is None:
            continue
        until = last_day(completed_on, term.days)
        if until > latest.due_on:
            latest = Deadline(until, completed_on, term.days, Extension(reason, until))
    return latest


def _owed(statuses: list[str]) -> bool:
    """Money still owed on these payments: none made yet, or one still only scheduled (an
    advance, 内払, made while the rest is scheduled leaves the rest owed)."""
    return "made" not in statuses or "scheduled" in statuses


def coverage_unpaid(claim: ClaimDocument, coverage: CoverageCode) -> bool:
    """A coverage still to be paid: the adjuster has not set it paid or not covered, and its
    payments leave money owed."""
    if claim["coverages"].get(coverage) in ("paid", "not_covered"):
        return False
    payments = claim["payments"].values()
    return _owed([p["status"] for p in payments if p["coverage"] == coverage])


def claim_unpaid(claim: ClaimDocument) -> bool:
    """Something of the claim is still to be paid: a coverage, or, before the adjuster named
    any coverage, the claim itself while its payments leave money owed. A closed claim owes
    nothing."""
    if claim["closed"]:
        return False
    if claim["coverages"]:
        return any(coverage_unpaid(claim, coverage) for coverage in claim["coverages"])
    return _owed([payment["status"] for payment in claim["payments"].values()])


def claim_deadline(claim: ClaimDocument, terms: PaymentTerms) -> Deadline | None:
    """The soonest deadline of what is still owed: of the coverages still to be paid (each with
    its own extensions and the claim's), or of the claim itself while it names no coverage (a
    coverage paid no longer sets it, so the page never shows a base period that no longer
    applies to anything). None before the claim is complete or once nothing is left to pay."""
    running = dues(claim, terms)
    return running[0].deadline if running else None


def coverage_deadline(
    claim: ClaimDocument, coverage: CoverageCode, terms: PaymentTerms
) -> Deadline | None:
    """A coverage's deadline: the claim's extensions and its own; None once it is paid."""
    if claim["closed"] or not coverage_unpaid(claim, coverage):
        return None
    return _deadline_for(claim, coverage, terms)


def _deadline_for(
    claim: ClaimDocument, coverage: CoverageCode | None, terms: PaymentTerms
) -> Deadline | None:
    completed_on = claim.get("completed_on")
    if completed_on is None:
        return None
    reasons = [
        extension["reason"]
        for extension in claim.get("deadline_extensions", [])
        if extension["coverage"] is None or extension["coverage"] == coverage
    ]
    return deadline(date.fromisoformat(completed_on), reasons, terms)


@dataclass(frozen=True)
class Due:
    """One deadline operators follow: a coverage's, or the claim's while it names none."""

    coverage: CoverageCode | None
    deadline: Deadline


def dues(claim: ClaimDocument, terms: PaymentTerms) -> list[Due]:
    """Every deadline still running on the claim, earliest first."""
    if not claim["coverages"]:
        whole = _deadline_for(claim, None, terms) if claim_unpaid(claim) else None
        return [] if whole is None else [Due(None, whole)]
    found = [
        Due(coverage, due)
        for coverage in claim["coverages"]
        if (due := coverage_deadline(claim, coverage, terms)) is not None
    ]
    return sorted(found, key=lambda d: d.deadline.due_on)
