"""Each stage's date, skipped stages, the time a closed claim spent in each stage and the rule
for the typical figure (「通常◯日程度」): pure rules on the timeline a claim document keeps."""

from __future__ import annotations

from typing import Any

import pytest

from claim_status.domain import ClaimDocument, TimelineEntry
from claim_status.presentation import detail
from claim_status.stage_times import reached_at, stage_durations, typical_days

DAY = 86400


def entry(kind: str, at: str, **data: Any) -> TimelineEntry:
    return {"type": kind, "at": f"2026-{at}:00+09:00", "data": data}  # type: ignore[typeddict-item]


OPENED = entry("claim_opened", "11-02T09:00")
ASSIGNED = entry("handler_assigned", "11-03T09:00")
INVESTIGATING = entry("stage_changed", "11-05T09:00", stage="investigating")
PAYING = entry("stage_changed", "11-20T09:00", stage="payment_processing")
CLOSED = entry("claim_closed", "11-25T21:00")


def claim(*timeline: TimelineEntry, stage: str, closed: bool = False) -> ClaimDocument:
    return {  # type: ignore[typeddict-item]
        "customer_id": "C-1",
        "policy_number": "A-2026-000001",
        "accident_date": "2026-11-01",
        "location": "東京都千代田区",
        "summary": "追突",
        "vehicle": "プリウス",
        "stage": stage,
        "handler": None,
        "coverages": {},
        "actions": {},
        "payments": {},
        "closed": closed,
        "sequence": len(timeline),
        "updated_at": timeline[-1]["at"],
        "timeline": list(timeline),
    }


def test_each_stage_is_dated_by_the_first_entry_that_reached_it() -> None:
    again = entry("stage_changed", "11-06T09:00", stage="investigating")
    late_handler = entry("handler_assigned", "11-07T09:00")
    dates = reached_at([OPENED, INVESTIGATING, again, late_handler])
    assert dates == {
        "reported": OPENED["at"],
        "investigating": INVESTIGATING["at"],
        "handler_assigned": late_handler["at"],
    }


def test_a_reopened_claim_is_dated_by_what_it_reached_after_the_reopening() -> None:
    reopened = entry("claim_reopened", "11-26T09:00")
    paying_again = entry("stage_changed", "12-01T09:00", stage="payment_processing")
    dates = reached_at([OPENED, INVESTIGATING, PAYING, CLOSED, reopened, paying_again])
    assert "closed" not in dates
    assert dates["payment_processing"] == paying_again["at"]
    assert dates["investigating"] == INVESTIGATING["at"]


def test_the_stage_a_claim_was_reopened_at_is_dated_by_the_reopening() -> None:
    reopened = entry("claim_reopened", "11-26T09:00")
    shown = detail(
        "CL-1", claim(OPENED, INVESTIGATING, PAYING, CLOSED, reopened, stage="negotiating"), "ja"
    )["stages"]
    by_code = {step["code"]: step for step in shown}
    assert by_code["negotiating"]["state"] == "current"
    assert by_code["negotiating"]["reached_at"] == reopened["at"]
    assert by_code["closed"]["reached_at"] is None
    assert by_code["investigating"]["reached_at"] == INVESTIGATING["at"]


def test_the_progress_indicator_dates_reached_stages_and_marks_skipped_ones() -> None:
    shown = detail(
        "CL-1",
        claim(OPENED, ASSIGNED, INVESTIGATING, PAYING, stage="payment_processing"),
        "ja",
        typical={"payment_processing": 6, "investigating": 12},
    )["stages"]
    by_code = {step["code"]: step for step in shown}
    assert by_code["investigating"]["reached_at"] == INVESTIGATING["at"]
    assert by_code["investigating"]["typical_days"] is None  # not the current stage
    assert by_code["negotiating"] == {
        "code": "negotiating",
        "label": "示談交渉中",
        "state": "skipped",
        "reached_at": None,
        "skipped": True,
        "typical_days": None,
    }
    assert by_code["payment_processing"]["typical_days"] == 6
    assert by_code["payment_processing"]["reached_at"] == PAYING["at"]
    assert by_code["paid"]["reached_at"] is None and not by_code["paid"]["skipped"]


def test_the_current_stage_has_no_typical_figure_when_too_few_claims_back_it() -> None:
    shown = detail("CL-1", claim(OPENED, stage="reported"), "en", typical={})["stages"]
    assert [step["typical_days"] for step in shown] == [None] * 7


def test_a_closed_claim_spent_in_each_stage_the_time_until_the_next() -> None:
    durations = stage_durations([OPENED, ASSIGNED, INVESTIGATING, PAYING, CLOSED])
    assert durations == {
        "reported": 1 * DAY,
        "handler_assigned": 2 * DAY,
        "investigating": 15 * DAY,
        "payment_processing": 5.5 * DAY,
    }


def test_an_open_claim_has_no_durations_yet() -> None:
    assert stage_durations([OPENED, ASSIGNED, INVESTIGATING]) == {}


@pytest.mark.parametrize(
    ("median_days", "claims", "shown"),
    [
        (12.0, 19, None),  # one claim short of the minimum
        (12.0, 0, None),
        (12.0, 20, 12),
        (5.5, 20, 6),  # half a day rounds up
        (5.49, 200, 5),
        (0.2, 20, 1),  # never 「通常0日程度」
    ],
)
def test_the_typical_figure_needs_enough_claims(
    median_days: float, claims: int, shown: int | None
) -> None:
    assert typical_days(median_days * DAY, claims, min_claims=20) == shown
