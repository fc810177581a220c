"""The payment deadline as pure rules, with no database: the completion day counts as day 1,
across month ends and leap days; the completion day is Japan's day of the update; the latest of
the base period and the extensions wins; a coverage's extension is its own; a paid coverage has
no deadline; the terms are the insurer's file, refused when it misses a reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from claim_status.deadlines import (
    PaymentTermsError,
    claim_deadline,
    coverage_deadline,
    deadline,
    dues,
    load_terms,
    shipped_terms,
)
from claim_status.deadlines.__main__ import main as list_deadlines
from claim_status.domain import ClaimDocument, evolve
from claim_status.main import build
from claim_status.presentation import detail
from claim_status.settings import ClaimStatusSettings
from claims_shared.events import AdjusterUpdate

TERMS = shipped_terms()
OPENED = {
    "customer_id": "C1",
    "policy_number": "A-2026-000001",
    "claim_number": "24-000123",
    "accident_date": "2026-10-01",
    "summary": "追突",
}


def folded(*updates: tuple[str, dict[str, Any], str]) -> ClaimDocument:
    """The document of claim_opened then `updates` (kind, data, occurred_at)."""
    document: ClaimDocument | None = None
    steps = [("claim_opened", OPENED, "2026-10-01T10:00:00+09:00"), *updates]
    for sequence, (kind, data, at) in enumerate(steps, start=1):
        update = AdjusterUpdate.of(
            update_id=f"00000000-0000-0000-0000-{sequence:012d}",
            claim_id="CL-1",
            sequence=sequence,
            occurred_at=at,
            adjuster_id="ADJ-1",
            type=kind,
            data=data,
        )
        document = evolve(document, update.data, sequence=sequence, occurred_at=at)
    assert document is not None
    return document


def complete(on: str) -> tuple[str, dict[str, Any], str]:
    return ("claim_completed", {"completed_on": on}, "2026-11-20T10:00:00+09:00")


def extended(reason: str, coverage: str | None = None) -> tuple[str, dict[str, Any], str]:
    data = {"reason": reason} if coverage is None else {"reason": reason, "coverage": coverage}
    return ("payment_deadline_extended", data, "2026-11-21T10:00:00+09:00")


def coverage(code: str, status: str) -> tuple[str, dict[str, Any], str]:
    return ("coverage_updated", {"coverage": code, "status": status}, "2026-11-20T11:00:00+09:00")


@pytest.mark.parametrize(
    ("completed_on", "days", "last"),
    [
        ("2026-11-01", 30, "2026-11-30"),  # the completion day is day 1
        ("2026-11-02", 30, "2026-12-01"),
        ("2026-12-15", 30, "2027-01-13"),  # across the year end
        ("2027-01-31", 30, "2027-03-01"),  # through a 28-day February
        ("2028-02-01", 30, "2028-03-01"),  # through a leap February (29 days)
        ("2028-02-29", 1, "2028-02-29"),
        ("2026-11-02", 180, "2027-04-30"),
    ],
)
def test_the_completion_day_counts_as_day_one(completed_on: str, days: int, last: str) -> None:
    terms = load_terms()
    terms = type(terms)(base_days=days, extensions=terms.extensions)
    assert deadline(date.fromisoformat(completed_on), [], terms).due_on == date.fromisoformat(last)


def test_the_latest_extension_sets_the_deadline_and_says_why() -> None:
    on = date(2026, 11, 2)
    base = deadline(on, [], TERMS)
    assert (base.due_on, base.days, base.extension) == (date(2026, 12, 1), 30, None)
    longest = deadline(
        on, ["disaster_area", "public_authority_inquiry", "expert_examination"], TERMS
    )
    assert (longest.due_on, longest.days) == (date(2027, 4, 30), 180)
    assert longest.extension is not None
    assert (longest.extension.reason, longest.extension.until) == (
        "public_authority_inquiry",
        date(2027, 4, 30),
    )
    assert deadline(on, ["a_reason_since_dropped"], TERMS) == base  # type: ignore[list-item]


def test_the_completion_day_is_japans_day_of_the_update() -> None:
    """15:30 UTC on 19 Nov is 00:30 on 20 Nov in Japan: 30 days run to 19 Dec, not 18 Dec."""
    claim = folded(("claim_completed", {}, "2026-11-19T15:30:00Z"))
    assert claim["completed_on"] == "2026-11-20"
    due = claim_deadline(claim, TERMS)
    assert due is not None and due.due_on == date(2026, 12, 19)
    before_midnight = folded(("claim_completed", {}, "2026-11-19T14:59:59Z"))
    assert before_midnight["completed_on"] == "2026-11-19"


def test_a_later_completion_corrects_the_day() -> None:
    claim = folded(complete("2026-11-02"), complete("2026-11-10"))
    due = claim_deadline(claim, TERMS)
    assert due is not None and due.due_on == date(2026, 12, 9)


def test_an_extension_for_a_coverage_is_that_coverages_only() -> None:
    claim = folded(
        coverage("bodily_injury", "investigating"),
        coverage("own_vehicle", "reviewing"),
        complete("2026-11-02"),
        extended("after_effect_certification", "bodily_injury"),
    )
    injury = coverage_deadline(claim, "bodily_injury", TERMS)
    vehicle = coverage_deadline(claim, "own_vehicle", TERMS)
    whole = claim_deadline(claim, TERMS)
    assert injury is not None and injury.due_on == date(2027, 3, 1)  # 120 days
    assert vehicle is not None and vehicle.due_on == date(2026, 12, 1)
    assert whole is not None and whole.extension is None
    assert [(due.coverage, due.deadline.due_on) for due in dues(claim, TERMS)] == [
        ("own_vehicle", date(2026, 12, 1)),
        ("bodily_injury", date(2027, 3, 1)),
    ]


def test_the_claims_deadline_is_the_soonest_of_what_is_still_owed() -> None:
    """Own vehicle paid, bodily injury extended for an expert examination: the page's headline
    says when the money still owed is due (1月30日, and why), not the 30 days (12月1日) that no
    longer apply to anything, which from 2 December the customer would read as the insurer late."""
    made = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 100}
    made["paid_on"] = "2026-11-20"
    claim = folded(
        coverage("own_vehicle", "paying"),
        coverage("bodily_injury", "investigating"),
        complete("2026-11-02"),
        extended("expert_examination", "bodily_injury"),
        ("payment_made", made, "2026-11-20T12:00:00+09:00"),
    )
    whole = claim_deadline(claim, TERMS)
    assert whole is not None and whole.due_on == date(2027, 1, 30)
    assert whole.extension is not None and whole.extension.reason == "expert_examination"


def test_an_extension_for_the_claim_reaches_every_coverage() -> None:
    claim = folded(
        coverage("own_vehicle", "reviewing"), complete("2026-11-02"), extended("disaster_area")
    )
    vehicle = coverage_deadline(claim, "own_vehicle", TERMS)
    assert vehicle is not None and vehicle.due_on == date(2026, 12, 31)  # 60 days


def test_paid_and_not_covered_coverages_drop_out() -> None:
    made = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 100, "paid_on": "2026-11-20"}
    claim = folded(
        coverage("own_vehicle", "paying"),
        coverage("passenger", "not_covered"),
        coverage("bodily_injury", "paid"),
        coverage("property_damage", "agreed"),
        complete("2026-11-02"),
        ("payment_made", made, "2026-11-20T12:00:00+09:00"),
    )
    assert coverage_deadline(claim, "own_vehicle", TERMS) is None, "a payment was made"
    assert coverage_deadline(claim, "passenger", TERMS) is None
    assert coverage_deadline(claim, "bodily_injury", TERMS) is None
    assert [due.coverage for due in dues(claim, TERMS)] == ["property_damage"]
    settled = folded(coverage("own_vehicle", "paid"), complete("2026-11-02"))
    assert claim_deadline(settled, TERMS) is None and dues(settled, TERMS) == []


def test_a_coverage_paid_in_part_keeps_its_deadline_until_the_rest_is_paid() -> None:
    """An advance (内払) made while the rest is only scheduled: money is still owed, so the
    customer and the claims department still see the deadline it is owed by."""
    advance = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 100}
    advance["paid_on"] = "2026-11-20"
    rest = {"payment_id": "P2", "coverage": "own_vehicle", "amount": 900}
    claim = folded(
        coverage("own_vehicle", "paying"),
        complete("2026-11-02"),
        ("payment_made", advance, "2026-11-20T12:00:00+09:00"),
        ("payment_scheduled", rest, "2026-11-20T12:01:00+09:00"),
    )
    vehicle = coverage_deadline(claim, "own_vehicle", TERMS)
    assert vehicle is not None and vehicle.due_on == date(2026, 12, 1)
    assert [due.coverage for due in dues(claim, TERMS)] == ["own_vehicle"]
    whole = folded(
        complete("2026-11-02"),
        ("payment_made", advance, "2026-11-20T12:00:00+09:00"),
        ("payment_scheduled", rest, "2026-11-20T12:01:00+09:00"),
    )
    assert claim_deadline(whole, TERMS) is not None, "no coverage named, the rest still owed"


def test_no_deadline_before_the_claim_is_complete_nor_once_it_is_closed() -> None:
    assert claim_deadline(folded(), TERMS) is None
    closed = folded(complete("2026-11-02"), ("claim_closed", {}, "2026-11-25T10:00:00+09:00"))
    assert claim_deadline(closed, TERMS) is None and dues(closed, TERMS) == []


def test_the_detail_words_the_deadline_its_basis_and_extension() -> None:
    claim = folded(
        coverage("bodily_injury", "investigating"),
        coverage("own_vehicle", "reviewing"),
        complete("2026-11-02"),
        extended("expert_examination", "bodily_injury"),
    )
    ja, en = detail("CL-1", claim, "ja"), detail("CL-1", claim, "en")
    assert (ja["claim_number"], ja["policy_number"]) == ("24-000123", "A-2026-000001")
    assert ja["payment_deadline"] == {
        "date": "2026-12-01",
        "completed_on": "2026-11-02",
        "basis": "必要書類がそろった11月2日から30日",
        "extension": None,
    }
    assert en["payment_deadline"] is not None
    assert en["payment_deadline"]["basis"] == (
        "30 days from 2 Nov, when all required documents were in"
    )
    injury = next(c for c in ja["coverages"] if c["code"] == "bodily_injury")
    assert injury["payment_deadline"] == {
        "date": "2027-01-30",
        "completed_on": "2026-11-02",
        "basis": "必要書類がそろった11月2日から90日",
        "extension": {
            "reason": {"code": "expert_examination", "label": "医療機関など専門機関の診断・鑑定"},
            "until": "2027-01-30",
        },
    }
    assert [entry["text"] for entry in ja["timeline"][:2]] == [
        "お支払い期限の目安を延長しました（対人賠償）：医療機関など専門機関の診断・鑑定のため",
        "必要書類がそろいました（11月2日）。",
    ]
    assert en["timeline"][1]["text"] == "All the required documents are in (2 Nov)."


def test_the_detail_shows_payments_in_full_with_the_account_masked() -> None:
    payee = {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "0042"}
    lines = [{"item": "修理費", "amount": 400_000}, {"item": "免責金額", "amount": -50_000}]
    scheduled = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 350_000}
    made = {"payment_id": "P2", "coverage": "passenger", "amount": 100_000, "paid_on": "2026-11-20"}
    claim = folded(
        (
            "payment_scheduled",
            {**scheduled, "payee": payee, "breakdown": lines},
            "2026-11-20T09:00:00+09:00",
        ),
        ("payment_made", made, "2026-11-20T12:00:00+09:00"),
    )
    shown = detail("CL-1", claim, "ja")
    first, second = shown["payments"]
    assert first["payee"] == {"bank": "みずほ銀行", "branch": "渋谷支店", "account": "****0042"}
    assert first["breakdown"] == lines
    assert (second["payee"], second["breakdown"]) == (None, [])
    assert shown["payment_totals"] == {"paid": 100_000, "scheduled": 350_000}
    assert shown["payment_deadline"] is None, "the claim is not complete yet"


def test_a_claim_without_its_number_shows_the_claim_id() -> None:
    claim = folded()
    del claim["claim_number"]
    assert detail("CL-1", claim, "ja")["claim_number"] == "CL-1"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_terms_are_the_insurers_file(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[1] / "src/claim_status/payment_terms.toml").read_text()
    changed = write(tmp_path, shipped.replace("base_days = 30", "base_days = 20"))
    assert load_terms(changed).base_days == 20
    assert TERMS.extensions["disaster_area"].days == 60


def test_terms_missing_a_reason_the_contract_knows_are_refused(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[1] / "src/claim_status/payment_terms.toml").read_text()
    without = shipped.split("[extensions.overseas_investigation]")[0]
    with pytest.raises(PaymentTermsError, match=r"no \[extensions.<reason>\] for \['overseas_inv"):
        load_terms(write(tmp_path, without))
    with pytest.raises(PaymentTermsError, match="unknown reasons \\['holiday'\\]"):
        load_terms(
            write(tmp_path, shipped + '[extensions.holiday]\ndays = 9\nja = "a"\nen = "b"\n')
        )
    with pytest.raises(PaymentTermsError, match="base_days"):
        load_terms(write(tmp_path, shipped.replace("base_days = 30", 'base_days = "30"')))
    with pytest.raises(PaymentTermsError, match="No such file"):
        load_terms(tmp_path / "missing.toml")


def test_the_service_does_not_start_on_terms_missing_a_reason(tmp_path: Path) -> None:
    shipped = (Path(__file__).parents[1] / "src/claim_status/payment_terms.toml").read_text()
    without = write(tmp_path, shipped.split("[extensions.disaster_area]")[0])
    with pytest.raises(PaymentTermsError, match="disaster_area"):
        build(ClaimStatusSettings(payment_terms_file=without))


def test_the_claims_departments_list_says_what_its_options_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        list_deadlines(["--help"])
    told = capsys.readouterr().out
    assert "CLAIM_STATUS_DEADLINE_WARNING_DAYS" in told and "today in Japan" in told
