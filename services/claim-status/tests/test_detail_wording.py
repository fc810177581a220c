"""The accident detail tells the customer the truth: a stage the claim went past without is
skipped, not done; a coverage's status agrees with its payments; coverages come in the usual
order (対人・対物・人身傷害・車両, then the rest).

The first tests read `queries.detail` on read-model documents as the projection writes them (the
document's shape is the contract between the two); the last one goes through the real service,
its broker and database, as a customer's browser does."""

from __future__ import annotations

from typing import Any

import pytest

from claim_status.presentation import detail
from claim_status_harness import ClaimLog, ClaimStatusService, opened, reported

AT = "2026-11-20T10:00:00+00:00"


def document(*timeline: tuple[str, dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A read-model document with these timeline entries (type, data) and fields."""
    return {
        **reported("C-1", "B-2026-000001"),
        "stage": "reported",
        "handler": None,
        "coverages": {},
        "actions": {},
        "payments": {},
        "closed": False,
        "sequence": len(timeline),
        "updated_at": AT,
        "timeline": [{"type": kind, "at": AT, "data": data} for kind, data in timeline],
        **fields,
    }


HANDLER = ("handler_assigned", {})


def stage(code: str) -> tuple[str, dict[str, Any]]:
    return ("stage_changed", {"stage": code})


def states(claim: dict[str, Any], language: str = "ja") -> dict[str, str]:
    return {step["label"]: step["state"] for step in detail("CL-1", claim, language)["stages"]}


def test_a_stage_the_claim_went_past_without_is_skipped_not_done() -> None:
    claim = document(
        ("claim_opened", {}),
        HANDLER,
        stage("investigating"),
        stage("payment_processing"),
        stage="payment_processing",
    )
    assert states(claim) == {
        "事故受付": "done",
        "担当者決定": "done",
        "損害調査中": "done",
        "示談交渉中": "skipped",
        "保険金お支払い手続中": "current",
        "保険金お支払い済": "upcoming",
        "解決": "upcoming",
    }
    assert states(claim, "en")["Negotiating the settlement"] == "skipped"


def test_a_claim_closed_from_the_investigation_skipped_the_rest() -> None:
    claim = document(
        ("claim_opened", {}),
        HANDLER,
        stage("investigating"),
        ("claim_closed", {}),
        stage="closed",
        closed=True,
    )
    assert list(states(claim).values()) == [
        "done",
        "done",
        "done",
        "skipped",
        "skipped",
        "skipped",
        "current",
    ]


def test_a_handler_assigned_after_the_investigation_began_counts_as_done() -> None:
    claim = document(("claim_opened", {}), stage("investigating"), HANDLER, stage="investigating")
    assert list(states(claim).values())[:3] == ["done", "done", "current"]


def test_a_reopened_claim_shows_the_stages_after_it_as_upcoming() -> None:
    claim = document(
        ("claim_opened", {}),
        HANDLER,
        stage("investigating"),
        stage("payment_processing"),
        stage("paid"),
        ("claim_closed", {}),
        ("claim_reopened", {}),
        stage="investigating",
    )
    assert list(states(claim).values()) == [
        "done",
        "done",
        "current",
        "upcoming",
        "upcoming",
        "upcoming",
        "upcoming",
    ]


def test_a_newly_reported_claim_is_at_its_first_stage() -> None:
    assert list(states(document(("claim_opened", {}))).values()) == ["current"] + ["upcoming"] * 6


def payment(coverage: str, status: str) -> dict[str, Any]:
    return {"coverage": coverage, "amount": 120_000, "status": status, "date": "2026-12-01"}


def coverages(claim: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["label"], c["status"]["label"]) for c in detail("CL-1", claim, "ja")["coverages"]]


@pytest.mark.parametrize(
    ("statuses", "payments", "shown"),
    [
        pytest.param(
            {"property_damage": "paying", "own_vehicle": "paying"},
            {
                "P1": payment("property_damage", "made"),
                "P2": payment("property_damage", "made"),
                "P3": payment("own_vehicle", "made"),
                "P4": payment("own_vehicle", "scheduled"),
            },
            [("対物賠償", "お支払い済"), ("車両", "お支払い手続中")],
            id="a coverage whose every payment is made is shown paid",
        ),
        pytest.param(
            {"own_vehicle": "paid", "bodily_injury": "paying"},
            {"P1": payment("own_vehicle", "scheduled")},
            [("対人賠償", "お支払い手続中"), ("車両", "お支払い手続中")],
            id="a coverage said paid with a payment still scheduled is shown paying",
        ),
        pytest.param(
            {"property_damage": "agreed", "own_vehicle": "not_covered"},
            {"P1": payment("property_damage", "made")},
            [("対物賠償", "示談成立"), ("車両", "お支払い対象外")],
            id="other statuses are shown as the adjuster set them",
        ),
    ],
)
def test_a_coverages_status_agrees_with_its_payments(
    statuses: dict[str, str], payments: dict[str, Any], shown: list[tuple[str, str]]
) -> None:
    claim = document(("claim_opened", {}), coverages=statuses, payments=payments)
    assert coverages(claim) == shown


def test_coverages_come_in_the_usual_order() -> None:
    claim = document(
        ("claim_opened", {}),
        coverages={
            "passenger": "reviewing",
            "own_vehicle": "reviewing",
            "personal_injury": "reviewing",
            "property_damage": "reviewing",
            "bodily_injury": "reviewing",
        },
    )
    assert [label for label, _ in coverages(claim)] == [
        "対人賠償",
        "対物賠償",
        "人身傷害",
        "車両",
        "搭乗者傷害",
    ]


async def test_the_customer_api_tells_the_detail_truthfully(
    claim_status: ClaimStatusService,
) -> None:
    log, clock = ClaimLog(), claim_status.clock
    updates = [
        opened(log, clock, "C-TRUTH"),
        log.next(
            "handler_assigned", clock, name="佐藤 健", office="東京第一課", phone="03-1234-5678"
        ),
        log.next("stage_changed", clock, stage="investigating"),
        log.next("coverage_updated", clock, coverage="own_vehicle", status="paying"),
        log.next("coverage_updated", clock, coverage="bodily_injury", status="investigating"),
        log.next("stage_changed", clock, stage="payment_processing"),
        *log.payment(
            clock, "P1", "own_vehicle", 350_000, scheduled_on="2026-12-01", paid_on="2026-11-25"
        ),
        log.next("stage_changed", clock, stage="paid"),
    ]
    await claim_status.send(*updates)
    shown = await claim_status.accident_at("C-TRUTH", log.claim_id, len(updates))

    assert {step["code"]: step["state"] for step in shown["stages"]} == {
        "reported": "done",
        "handler_assigned": "done",
        "investigating": "done",
        "negotiating": "skipped",
        "payment_processing": "done",
        "paid": "current",
        "closed": "upcoming",
    }
    assert [(c["code"], c["status"]["code"]) for c in shown["coverages"]] == [
        ("bodily_injury", "investigating"),
        ("own_vehicle", "paid"),
    ]
    assert [p["status"] for p in shown["payments"]] == ["made"]
