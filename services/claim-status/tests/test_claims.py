"""A claim's life seen through the customer API, with the updates crossing the real broker into the
real database: order, duplicates, gaps, invalid updates, isolation between customers, and the
HTTP path giving what the Kafka path gives."""

from datetime import date

from claim_status_harness import ClaimLog, ClaimStatusService, opened
from devinfra.testing import eventually, find_envelopes


async def test_a_claims_whole_life_as_the_customer_sees_it(
    claim_status: ClaimStatusService,
) -> None:
    clock, log = claim_status.clock, ClaimLog()
    updates = [
        opened(log, clock, "C-A"),
        log.next(
            "handler_assigned",
            clock,
            name="佐藤 健",
            office="東京損害サービス課",
            phone="03-1234-5678",
        ),
        log.next("stage_changed", clock, stage="investigating"),
        log.next("coverage_updated", clock, coverage="own_vehicle", status="investigating"),
        log.next(
            "customer_action_requested",
            clock,
            action_id="a1",
            description="修理見積書をご提出ください",
            due_date="2026-12-05",
        ),
        log.next("customer_action_completed", clock, action_id="a1"),
        log.next("stage_changed", clock, stage="payment_processing"),
        *log.payment(
            clock, "p1", "own_vehicle", 350000, scheduled_on="2026-12-10", paid_on="2026-11-25"
        ),
        log.next("stage_changed", clock, stage="paid"),
        log.next("claim_closed", clock),
    ]
    await claim_status.send(*updates)
    closed = await claim_status.accident_at("C-A", log.claim_id, len(updates))
    assert closed["stage"] == {"code": "closed", "label": "解決"}
    assert closed["handler"] == {
        "name": "佐藤 健",
        "office": "東京損害サービス課",
        "phone": "03-1234-5678",
    }
    assert closed["customer_actions"] == []
    assert closed["payments"][0]["amount"] == 350000 and closed["payments"][0]["status"] == "made"
    assert closed["coverages"][0]["label"] == "車両"
    assert closed["timeline"][0]["text"] == "事故の対応が完了しました。"  # newest first
    assert "修理見積書をご提出ください" in closed["timeline"][6]["text"]

    reopened = log.next("claim_reopened", clock)
    await claim_status.send(reopened)
    detail = await claim_status.accident_at("C-A", log.claim_id, len(updates) + 1)
    assert detail["stage"]["code"] == "investigating"

    english = (await claim_status.accident("C-A", log.claim_id, "en")).json()
    assert english["stage"]["label"] == "Investigating the damage"
    listing = (
        await claim_status.client.get(
            "/api/v1/me/accidents", headers=claim_status.as_customer("C-A")
        )
    ).json()
    assert [item["claim_id"] for item in listing["items"]] == [log.claim_id]
    assert listing["next_cursor"] is None

    changes = await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic("claims.status-events"),
        lambda e: e["data"]["claim_id"] == log.claim_id,
        expected=12,
    )
    assert [c["data"]["sequence"] for c in changes] == list(range(1, 13))
    assert all(c["data"]["customer_id"] == "C-A" for c in changes)


async def test_duplicates_gaps_and_invalid_updates(claim_status: ClaimStatusService) -> None:
    clock, log = claim_status.clock, ClaimLog()
    first = opened(log, clock, "C-B")
    second = log.next("handler_assigned", clock, name="田中", office="大阪", phone="06-0000-0000")
    third = log.next("stage_changed", clock, stage="investigating")
    await claim_status.send(first, third)  # third arrives early: held
    await eventually(
        lambda: claim_status.app.state.intake.held.pool.fetchval(
            "SELECT count(*) FROM held_updates WHERE claim_id = $1", log.claim_id
        )
    )
    await claim_status.send(second, second, first)  # fills the gap; duplicates change nothing
    detail = await claim_status.accident_at("C-B", log.claim_id, 3)
    assert detail["stage"]["code"] == "investigating"

    backwards = log.next("stage_changed", clock, stage="reported")
    marker = log.next("note_added", clock, text="書類を受領しました")
    marker = marker.model_copy(update={"sequence": backwards.sequence})
    await claim_status.send(backwards, marker)
    detail = await claim_status.accident_at("C-B", log.claim_id, 4)
    assert [e["type"] for e in detail["timeline"]].count("handler_assigned") == 1
    assert detail["timeline"][0]["text"] == "書類を受領しました"
    dead = await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic("claims.adjuster-updates.dlq"),
        lambda e: e["data"]["update_id"] == str(backwards.update_id),
    )
    assert len(dead) == 1


async def test_an_update_whose_gap_never_fills_goes_to_the_dlq(
    claim_status: ClaimStatusService,
) -> None:
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(opened(log, clock, "C-C"))
    log.sequence += 1  # sequence 2 never comes
    stranded = log.next("note_added", clock, text="x")
    await claim_status.strand(stranded)
    dead = await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic("claims.adjuster-updates.dlq"),
        lambda e: e["data"]["claim_id"] == log.claim_id,
    )
    assert len(dead) == 1

    async def counted() -> bool:
        metrics = (await claim_status.client.get("/metrics")).text
        expired = [
            line for line in metrics.splitlines() if line.startswith("claim_updates_expired_total ")
        ]
        return bool(expired) and float(expired[0].split()[1]) >= 1

    await eventually(counted)


async def test_customers_never_see_each_others_claims(claim_status: ClaimStatusService) -> None:
    clock = claim_status.clock
    mine, theirs = ClaimLog(), ClaimLog()
    await claim_status.send(opened(mine, clock, "C-MINE"), opened(theirs, clock, "C-THEIRS"))
    await claim_status.accident_at("C-THEIRS", theirs.claim_id, 1)
    await claim_status.accident_at("C-MINE", mine.claim_id, 1)
    foreign = await claim_status.accident("C-MINE", theirs.claim_id)
    missing = await claim_status.accident("C-MINE", "CL-does-not-exist")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    listing = (
        await claim_status.client.get(
            "/api/v1/me/accidents", headers=claim_status.as_customer("C-MINE")
        )
    ).json()
    assert [i["claim_id"] for i in listing["items"]] == [mine.claim_id]
    as_adjuster = await claim_status.client.get(
        "/api/v1/me/accidents", headers=claim_status.as_adjuster()
    )
    assert as_adjuster.status_code == 403
    no_token = await claim_status.client.get(f"/api/v1/me/accidents/{mine.claim_id}")
    assert no_token.status_code == 401


async def test_the_http_path_gives_what_the_kafka_path_gives(
    claim_status: ClaimStatusService,
) -> None:
    clock = claim_status.clock
    by_kafka, by_http = ClaimLog(), ClaimLog()
    steps = [
        ("handler_assigned", {"name": "佐藤", "office": "東京", "phone": "03-1111-2222"}),
        ("stage_changed", {"stage": "investigating"}),
        ("coverage_updated", {"coverage": "bodily_injury", "status": "reviewing"}),
    ]
    kafka_updates = [opened(by_kafka, clock, "C-K")]
    http_updates = [opened(by_http, clock, "C-K")]
    for kind, data in steps:
        kafka_updates.append(by_kafka.next(kind, clock, **data))
        http_updates.append(by_http.next(kind, clock, **data))
    await claim_status.send(*kafka_updates)
    for update in http_updates:
        response = await claim_status.post_update(update)
        assert (response.status_code, response.json()) == (202, {"outcome": "applied"})
    again = await claim_status.post_update(http_updates[1])
    assert again.json() == {"outcome": "duplicate"}
    bad = by_http.next("stage_changed", clock, stage="reported")
    refused = await claim_status.post_update(bad)
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_update")
    as_customer = await claim_status.post_update(bad, claim_status.as_customer("C-K"))
    assert as_customer.status_code == 403

    kafka_view = await claim_status.accident_at("C-K", by_kafka.claim_id, 4)
    http_view = await claim_status.accident_at("C-K", by_http.claim_id, 4)

    def strip(d):
        differ = ("claim_id", "claim_number", "updated_at", "timeline")  # claim_number: the id
        kept = {k: v for k, v in d.items() if k not in differ}
        kept["stages"] = [{**step, "reached_at": bool(step["reached_at"])} for step in d["stages"]]
        return kept

    assert strip(kafka_view) == strip(http_view)
    assert [e["text"] for e in kafka_view["timeline"]] == [e["text"] for e in http_view["timeline"]]


async def test_the_list_pages_newest_first(claim_status: ClaimStatusService) -> None:
    clock = claim_status.clock
    logs = [ClaimLog() for _ in range(5)]
    for day, log in enumerate(logs, start=1):
        update = opened(log, clock, "C-P")
        update = update.model_copy(
            update={"data": update.data.model_copy(update={"accident_date": date(2026, 10, day)})}
        )
        await claim_status.send(update)
    for log in logs:
        await claim_status.accident_at("C-P", log.claim_id, 1)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await claim_status.client.get(
                "/api/v1/me/accidents", params=params, headers=claim_status.as_customer("C-P")
            )
        ).json()
        seen += [item["accident_date"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"2026-10-0{d}" for d in (5, 4, 3, 2, 1)]
    bad = await claim_status.client.get(
        "/api/v1/me/accidents", params={"cursor": "%%%"}, headers=claim_status.as_customer("C-P")
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_maintenance_closes_the_customer_routes_not_adjuster_ingestion(
    claim_status: ClaimStatusService,
) -> None:
    clock, log = claim_status.clock, ClaimLog()
    clock.now = clock.now.replace(day=22, hour=17, minute=30)  # Monday 02:30 in Tokyo
    listing = await claim_status.client.get(
        "/api/v1/me/accidents", headers=claim_status.as_customer("C-M")
    )
    assert (listing.status_code, listing.json()["code"]) == (503, "maintenance")
    assert listing.headers["Retry-After"] == str(90 * 60)
    update = opened(log, clock, "C-M")  # written during the window
    posted = await claim_status.post_update(update)
    assert posted.status_code == 202
    assert (await claim_status.client.get("/readyz")).status_code == 200
