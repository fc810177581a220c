"""The payment deadline through the real service (Kafka, PostgreSQL): a claim that becomes
complete, is extended and is paid shows its deadline, the extension's reason and then none, its
payments in full with the account masked; operators see it near, then not, in the gauge and in
`python -m claim_status.deadlines`; a claim long past its deadline is passed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from prometheus_client import REGISTRY

from claim_status_harness import ClaimLog, ClaimStatusService, reported
from devinfra.testing import eventually

PAYEE = {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "0042"}
LINES = [{"item": "修理費", "amount": 400_000}, {"item": "免責金額", "amount": -50_000}]
PAYMENT = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 350_000}
# The service's clock starts on 2026-11-25 (19:00 in Japan): 30 days from 30 Oct end on 28 Nov.


def deadlines_tool(service: ClaimStatusService, *arguments: str) -> list[dict[str, Any]]:
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "claim_status.deadlines",
            "--today",
            "2026-11-25",
            "--json",
            *arguments,
        ],
        env={**os.environ, "CLAIM_STATUS_DATABASE_URL": service.settings.database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return list(json.loads(listed.stdout))


def gauge(state: str) -> float | None:
    return REGISTRY.get_sample_value("claim_status_payment_deadlines", {"state": state})


async def gauge_shows(near: int, passed: int) -> None:
    async def shown() -> bool | None:
        return (gauge("near"), gauge("passed")) == (near, passed) or None

    await eventually(shown, timeout=30)


async def test_a_claim_goes_complete_extended_and_paid(claim_status: ClaimStatusService) -> None:
    clock, log, late = claim_status.clock, ClaimLog(), ClaimLog()
    opening = {**reported("C-DUE", "A-2026-000001"), "claim_number": "24-000777"}
    await claim_status.send(
        log.next("claim_opened", clock, **opening),
        log.next("coverage_updated", clock, coverage="own_vehicle", status="reviewing"),
        log.next("claim_completed", clock, completed_on="2026-10-30"),
        late.next("claim_opened", clock, **reported("C-LATE", "A-2026-000009")),
        late.next("claim_completed", clock, completed_on="2026-10-01"),
    )
    complete = await claim_status.accident_at("C-DUE", log.claim_id, 3)
    await claim_status.accident_at("C-LATE", late.claim_id, 2)
    assert (complete["claim_number"], complete["policy_number"]) == ("24-000777", "A-2026-000001")
    assert complete["payment_deadline"] == {
        "date": "2026-11-28",
        "completed_on": "2026-10-30",
        "basis": "必要書類がそろった10月30日から30日",
        "extension": None,
    }
    assert complete["coverages"][0]["payment_deadline"] == complete["payment_deadline"]
    assert complete["timeline"][0]["text"] == "必要書類がそろいました（10月30日）。"
    listed = (
        await claim_status.client.get(
            "/api/v1/me/accidents", headers=claim_status.as_customer("C-DUE")
        )
    ).json()
    assert listed["items"][0]["claim_number"] == "24-000777"
    await gauge_shows(near=1, passed=1)
    assert [(row["claim_number"], row["days_left"]) for row in deadlines_tool(claim_status)] == [
        (late.claim_id, -26),
        ("24-000777", 3),
    ]

    await claim_status.send(
        log.next("payment_deadline_extended", clock, reason="public_authority_inquiry")
    )
    await claim_status.accident_at("C-DUE", log.claim_id, 4)
    extended = (await claim_status.accident("C-DUE", log.claim_id, "en")).json()["payment_deadline"]
    assert extended == {
        "date": "2027-04-27",
        "completed_on": "2026-10-30",
        "basis": "180 days from 30 Oct, when all required documents were in",
        "extension": {
            "reason": {
                "code": "public_authority_inquiry",
                "label": "inquiries to the police, prosecutors, fire service or other public "
                "authorities",
            },
            "until": "2027-04-27",
        },
    }
    await gauge_shows(near=0, passed=1)
    assert [row["claim_number"] for row in deadlines_tool(claim_status, "--within", "200")] == [
        late.claim_id,
        "24-000777",
    ]

    await claim_status.send(
        log.next("payment_scheduled", clock, **PAYMENT, payee=PAYEE, breakdown=LINES),
        log.next("payment_made", clock, **PAYMENT, paid_on="2026-11-25"),
    )
    paid = await claim_status.accident_at("C-DUE", log.claim_id, 6)
    assert paid["payment_deadline"] is None and paid["coverages"][0]["payment_deadline"] is None
    [payment] = paid["payments"]
    assert payment["payee"] == {"bank": "みずほ銀行", "branch": "渋谷支店", "account": "****0042"}
    assert payment["breakdown"] == LINES
    assert paid["payment_totals"] == {"paid": 350_000, "scheduled": 0}
    assert "account_last_digits" not in json.dumps(paid), "only the masked form"
    assert [row["claim_number"] for row in deadlines_tool(claim_status, "--within", "200")] == [
        late.claim_id
    ]


async def test_rules_between_updates_are_refused_in_words(
    claim_status: ClaimStatusService,
) -> None:
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(log.next("claim_opened", clock, **reported("C-RULE", "A1")))
    await claim_status.accident_at("C-RULE", log.claim_id, 1)
    early = log.next("payment_deadline_extended", clock, reason="disaster_area")
    posted = await claim_status.post_update(early)
    assert (posted.status_code, posted.json()["code"]) == (422, "invalid_update")
    assert "before claim_completed" in posted.json()["message"]
    log.sequence -= 1
    wrong = log.next("payment_scheduled", clock, **{**PAYMENT, "amount": 1}, breakdown=LINES)
    posted = await claim_status.post_update(wrong)
    assert (posted.status_code, posted.json()["code"]) == (422, "invalid_update")
    assert "the breakdown sums to 350000, not 1" in posted.json()["message"]
    log.sequence -= 1
    assert (await claim_status.post_update(log.next("claim_completed", clock))).status_code == 202
    elsewhere = log.next(
        "payment_deadline_extended", clock, reason="disaster_area", coverage="property_damage"
    )
    posted = await claim_status.post_update(elsewhere)
    assert (posted.status_code, posted.json()["code"]) == (422, "invalid_update")
    assert "property_damage, a coverage this claim does not name" in posted.json()["message"]
    shown = await claim_status.accident_at("C-RULE", log.claim_id, 2)
    assert shown["payments"] == []
    assert shown["payment_deadline"]["extension"] is None, "the refused extension is not shown"
