"""Plays adjusters' updates for the demo customers' accidents over a few minutes, so that a person
watching the accident list sees the status move (`make demo-feed`, beside `make up`).

    python -m claim_status.demo_feed [--seconds-between 20]

Publishes to claims.adjuster-updates exactly as an adjusters' system would. Claim ids carry the
start time, so each run tells a fresh story.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from claim_status.settings import ClaimStatusSettings
from claims_shared.events import AdjusterUpdate, new_envelope
from claims_shared.kafka import EventPublisher

# Dates around the day the feed runs, so the demo never shows a payment made in the future.
TODAY = date.today()
HANDLER = {"name": "佐藤 健", "office": "東京損害サービス第一課", "phone": "0120-000-123"}

STORY: list[tuple[str, dict[str, Any]]] = [
    ("handler_assigned", HANDLER),
    ("stage_changed", {"stage": "investigating"}),
    ("coverage_updated", {"coverage": "own_vehicle", "status": "investigating"}),
    (
        "customer_action_requested",
        {
            "action_id": "estimate",
            "description": "修理工場の見積書をご提出ください",
            "due_date": str(TODAY + timedelta(days=10)),
        },
    ),
    ("customer_action_completed", {"action_id": "estimate"}),
    ("claim_completed", {}),  # the payment deadline runs from today: 30 days
    ("coverage_updated", {"coverage": "own_vehicle", "status": "agreed"}),
    ("stage_changed", {"stage": "payment_processing"}),
    (
        "payment_scheduled",
        {
            "payment_id": "p1",
            "coverage": "own_vehicle",
            "amount": 286000,
            "scheduled_on": str(TODAY),
            "payee": {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "1234"},
            "breakdown": [
                {"item": "修理費", "amount": 336000},
                {"item": "免責金額", "amount": -50000},
            ],
        },
    ),
    (
        "payment_made",
        {"payment_id": "p1", "coverage": "own_vehicle", "amount": 286000, "paid_on": str(TODAY)},
    ),
    ("stage_changed", {"stage": "paid"}),
    ("claim_closed", {}),
]

ACCIDENTS = [
    ("C0000001", "A2026000001", "交差点で信号待ち中に後方から追突されました", "トヨタ プリウス"),
    ("C0000004", "A2026000004", "駐車場で後退時に柱に接触しました", "ホンダ フィット"),
]


def updates_for(
    claim_id: str, customer_id: str, policy_number: str, summary: str, vehicle: str
) -> list[AdjusterUpdate]:
    """The whole story of one demo accident, in sequence order."""
    opened = (
        "claim_opened",
        {
            "customer_id": customer_id,
            "policy_number": policy_number,
            "claim_number": claim_id.replace("CL-DEMO-", "J"),  # 事故受付番号
            "accident_date": str(TODAY - timedelta(days=11)),
            "location": "東京都千代田区",
            "summary": summary,
            "vehicle": vehicle,
        },
    )
    return [
        AdjusterUpdate.of(
            update_id=uuid.uuid4(),
            claim_id=claim_id,
            sequence=sequence,
            occurred_at=datetime.now(UTC),
            adjuster_id="DEMO",
            type=kind,
            data=data,
        )
        for sequence, (kind, data) in enumerate([opened, *STORY], start=1)
    ]


async def play(settings: ClaimStatusSettings, seconds_between: float) -> None:
    run = datetime.now(UTC).strftime("%Y%m%d%H%M")
    stories = [
        updates_for(f"CL-DEMO-{run}-{n}", *accident)
        for n, accident in enumerate(ACCIDENTS, start=1)
    ]
    publisher = EventPublisher(
        settings.kafka_bootstrap_servers,
        "demo-feed",
        settings.kafka_topic_prefix,
        settings.kafka_options(),
    )
    await publisher.start()
    try:
        for step in range(len(stories[0])):
            for story in stories:
                update = story[step]
                await publisher.publish(
                    update.topic, update.claim_id, new_envelope(update, producer="demo-feed")
                )
                print(f"{update.claim_id} #{update.sequence} {update.type}", flush=True)
            await asyncio.sleep(seconds_between)
    finally:
        await publisher.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m claim_status.demo_feed")
    parser.add_argument("--seconds-between", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(play(ClaimStatusSettings(), args.seconds_between))


if __name__ == "__main__":
    main()
