"""The claim as it was on any day (`?as_of=`), each stage's date, and the typical time in a stage
(「通常◯日程度」), through the real service, its broker and its database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from claim_status_harness import (
    ClaimLog,
    ClaimStatusService,
    claim_status_serving,
    claim_status_settings,
    opened,
    rebuild,
)
from claims_shared.events import AdjusterUpdate
from devinfra.testing import ManualClock

JAPAN = ZoneInfo("Asia/Tokyo")
CUSTOMER = "C-HISTORY"
DAY = 86400


PAYMENT = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 350_000}
PAYEE = {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "0042"}
BREAKDOWN = [{"item": "修理費", "amount": 400_000}, {"item": "免責金額", "amount": -50_000}]


def long_claim(log: ClaimLog, clock: ManualClock) -> list[AdjusterUpdate]:
    """A claim through every stage, complete, its deadline extended, paid to a masked payee
    with a breakdown (the payment made keeps the schedule's), closed, reopened and closed
    again."""
    return [
        opened(log, clock, CUSTOMER),
        log.next(
            "handler_assigned", clock, name="佐藤 健", office="東京第一課", phone="03-1234-5678"
        ),
        log.next("stage_changed", clock, stage="investigating"),
        log.next("customer_action_requested", clock, action_id="A1", description="修理見積書"),
        log.next("coverage_updated", clock, coverage="own_vehicle", status="investigating"),
        log.next("customer_action_completed", clock, action_id="A1"),
        log.next("note_added", clock, text="修理工場に確認しました。"),
        log.next("stage_changed", clock, stage="negotiating"),
        log.next("coverage_updated", clock, coverage="own_vehicle", status="agreed"),
        log.next("claim_completed", clock),
        log.next(
            "payment_deadline_extended", clock, reason="expert_examination", coverage="own_vehicle"
        ),
        log.next("stage_changed", clock, stage="payment_processing"),
        log.next("payment_scheduled", clock, **PAYMENT, payee=PAYEE, breakdown=BREAKDOWN),
        log.next("payment_made", clock, **PAYMENT, paid_on="2026-11-25"),
        log.next("stage_changed", clock, stage="paid"),
        log.next("claim_closed", clock),
        log.next("claim_reopened", clock, stage="negotiating"),
        log.next("stage_changed", clock, stage="payment_processing"),
        log.next("claim_closed", clock),
    ]


async def as_of(
    service: ClaimStatusService, claim_id: str, moment: str, customer: str = CUSTOMER
) -> httpx.Response:
    return await service.client.get(
        f"/api/v1/me/accidents/{claim_id}",
        params={"as_of": moment},
        headers=service.as_customer(customer),
    )


def without_as_of(shown: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in shown.items() if key != "as_of"}


async def test_as_of_on_every_stage_of_a_long_claim_is_the_live_detail_then(
    claim_status: ClaimStatusService,
) -> None:
    log, clock = ClaimLog(), claim_status.clock
    live: list[tuple[datetime, dict[str, Any]]] = []
    for update in long_claim(log, clock):
        await claim_status.send(update)
        shown = await claim_status.accident_at(CUSTOMER, log.claim_id, update.sequence)
        assert shown["as_of"] == clock.now.isoformat()  # the time of the read
        live.append((update.occurred_at, shown))
        clock.advance(minutes=1)  # the read is before the next update

    views = [then for _, then in live]
    assert any(v["payment_deadline"] and v["payment_deadline"]["extension"] for v in views)
    made = [p for v in views for p in v["payments"] if p["status"] == "made"]
    assert made and made[0]["payee"]["account"] == "****0042" and len(made[0]["breakdown"]) == 2
    for occurred_at, then in live:
        answer = await as_of(claim_status, log.claim_id, occurred_at.isoformat())
        assert answer.status_code == 200, answer.text
        assert without_as_of(answer.json()) == without_as_of(then)
        assert answer.json()["as_of"] == occurred_at.astimezone(UTC).isoformat()

    # Japan time without an offset, typed with full-width digits, names the same moment.
    moment, then = live[8]
    typed = moment.astimezone(JAPAN).replace(tzinfo=None).isoformat()
    full_width = typed.translate(str.maketrans("0123456789-:", "０１２３４５６７８９－："))
    answer = await as_of(claim_status, log.claim_id, full_width)
    assert answer.status_code == 200, answer.text
    assert without_as_of(answer.json()) == without_as_of(then)
    assert [step["state"] for step in answer.json()["stages"]][3] == "current"  # 示談交渉中


async def test_a_date_is_the_end_of_that_day_in_japan_and_the_future_is_live(
    claim_status: ClaimStatusService,
) -> None:
    log, clock = ClaimLog(), claim_status.clock
    clock.now = datetime(2026, 11, 25, 14, 50, tzinfo=UTC)  # 23:50 in Japan
    await claim_status.send(opened(log, clock, CUSTOMER))
    await claim_status.accident_at(CUSTOMER, log.claim_id, 1)
    clock.advance(minutes=20)  # 00:11 on the 26th in Japan
    investigating = log.next("stage_changed", clock, stage="investigating")
    await claim_status.send(investigating)
    await claim_status.accident_at(CUSTOMER, log.claim_id, 2)
    clock.advance(days=1)

    on_the_25th = (await as_of(claim_status, log.claim_id, "2026-11-25")).json()
    assert on_the_25th["stage"]["code"] == "reported"
    assert on_the_25th["as_of"] == "2026-11-25T14:59:59.999999+00:00"
    assert (await as_of(claim_status, log.claim_id, "２０２６－１１－２６")).json()["stage"][
        "code"
    ] == "investigating"
    future = (await as_of(claim_status, log.claim_id, "2099-01-01")).json()
    assert future["stage"]["code"] == "investigating"
    assert future["as_of"] == clock.now.isoformat()
    listed = await claim_status.client.get(
        "/api/v1/me/accidents", headers=claim_status.as_customer(CUSTOMER)
    )
    assert listed.json()["as_of"] == clock.now.isoformat()  # the list: the time of the read


@pytest.mark.parametrize(
    "typed", ["yesterday", "2026-13-01", "10:00", "2026-11-25T25:00", "", "2026-11-25" + " " * 80]
)
async def test_as_of_that_names_no_moment_is_refused_in_words(
    claim_status: ClaimStatusService, typed: str
) -> None:
    log = ClaimLog()
    await claim_status.send(opened(log, claim_status.clock, CUSTOMER))
    await claim_status.accident_at(CUSTOMER, log.claim_id, 1)
    answer = await as_of(claim_status, log.claim_id, typed)
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_as_of"
    assert "日付" in answer.json()["message"]


async def test_before_the_claim_was_opened_and_anothers_claim_are_not_found(
    claim_status: ClaimStatusService,
) -> None:
    log, clock = ClaimLog(), claim_status.clock
    await claim_status.send(opened(log, clock, CUSTOMER))
    await claim_status.accident_at(CUSTOMER, log.claim_id, 1)
    before = (clock.now - timedelta(seconds=1)).isoformat()
    assert (await as_of(claim_status, log.claim_id, before)).status_code == 404
    foreign = await as_of(claim_status, log.claim_id, clock.now.isoformat(), "C-OTHER")
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "not_found"


@pytest.fixture
async def two_claims_back_a_figure(
    infrastructure: Any, database_url: str
) -> AsyncIterator[ClaimStatusService]:
    settings = claim_status_settings(infrastructure, database_url, typical_min_claims=2)
    async with claim_status_serving(settings) as service:
        yield service


async def close_after(service: ClaimStatusService, investigating_days: float) -> None:
    """A claim that spent `investigating_days` in 損害調査中 and was then resolved."""
    log, clock = ClaimLog(), service.clock
    updates = [
        opened(log, clock, CUSTOMER),
        log.next("stage_changed", clock, stage="investigating"),
    ]
    clock.advance(days=investigating_days)
    updates.append(log.next("claim_closed", clock))
    await service.send(*updates)
    await service.accident_at(CUSTOMER, log.claim_id, len(updates))


async def test_the_current_stage_shows_its_typical_days_once_enough_claims_closed(
    two_claims_back_a_figure: ClaimStatusService,
) -> None:
    service = two_claims_back_a_figure
    log, clock = ClaimLog(), service.clock
    await service.send(
        opened(log, clock, CUSTOMER), log.next("stage_changed", clock, stage="investigating")
    )
    await close_after(service, 9.8)  # one claim: too few, and the figure is cached a while
    clock.advance(minutes=10)
    shown = await service.accident_at(CUSTOMER, log.claim_id, 2)
    assert [step["typical_days"] for step in shown["stages"]] == [None] * 7

    await close_after(service, 12.2)  # median 11 days
    clock.advance(minutes=10)
    shown = await service.accident_at(CUSTOMER, log.claim_id, 2)
    by_code = {step["code"]: step for step in shown["stages"]}
    assert by_code["investigating"]["typical_days"] == 11
    assert by_code["investigating"]["reached_at"] == shown["timeline"][0]["at"]
    assert by_code["reported"]["typical_days"] is None  # only the current stage has one
    assert by_code["handler_assigned"]["skipped"] is True


async def test_a_rebuild_writes_the_stage_durations_again(
    two_claims_back_a_figure: ClaimStatusService,
) -> None:
    service = two_claims_back_a_figure
    await close_after(service, 3.0)
    url = service.settings.database_url
    durations = (
        "SELECT claim_id, stage, seconds, closed_at FROM claim_stage_durations ORDER BY 1, 2"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        written = conn.execute(durations).fetchall()
        conn.execute("DELETE FROM claim_stage_durations")
    assert [(stage, seconds) for _, stage, seconds, _ in written] == [
        ("investigating", 3 * DAY + 60),
        ("reported", 60.0),
    ]
    rebuilt = rebuild(url, 2)
    assert rebuilt.returncode == 0, rebuilt.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute(durations).fetchall() == written
