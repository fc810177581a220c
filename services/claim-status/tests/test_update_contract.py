"""The adjuster update contract at the edge: wrongly typed or out-of-bounds updates are refused
where they come in (the DLQ with the reason on Kafka, 422 on HTTP), never stall the intake and
never reach a customer's page; a reused update id with other content is a conflict."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from claim_status_harness import ClaimLog, ClaimStatusService, opened
from claims_shared.events import AdjusterUpdate, encode, new_envelope, topics
from claims_shared.events.claims import parse_adjuster_update
from devinfra.testing import ManualClock, find_envelopes, publish

VALID_OPENING = {
    "customer_id": "C1",
    "policy_number": "A2026000001",
    "accident_date": "2026-11-19",
    "summary": "追突",
}

PAYEE = {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "1234"}
PAYMENT = {"payment_id": "p1", "coverage": "own_vehicle", "amount": 5}

# One example of each class of defect found trying the intake as an adjusters' system would.
MALFORMED: list[tuple[str, str, dict[str, Any]]] = [
    ("a list for a coverage", "coverage_updated", {"coverage": [], "status": "paid"}),
    ("a number for a phone", "handler_assigned", {"name": "a", "office": "b", "phone": 612345678}),
    ("a phone that is not one", "handler_assigned", {"name": "a", "office": "b", "phone": "x"}),
    (
        "true for an amount",
        "payment_made",
        {"payment_id": "p1", "coverage": "own_vehicle", "amount": True},
    ),
    (
        "yen with a fraction",
        "payment_made",
        {"payment_id": "p1", "coverage": "own_vehicle", "amount": 10.5},
    ),
    (
        "a negative amount",
        "payment_scheduled",
        {"payment_id": "p1", "coverage": "own_vehicle", "amount": -5},
    ),
    ("a 100 kB note", "note_added", {"text": "あ" * 100_000}),
    ("a NUL in a note", "note_added", {"text": "a\u0000b"}),
    ("a lone surrogate", "note_added", {"text": "a\ud800b"}),
    ("a right-to-left override", "note_added", {"text": "\u202e0021-000-030"}),
    (
        "a zero-width space",
        "handler_assigned",
        {"name": "佐\u200b藤", "office": "b", "phone": "03-1234-5678"},
    ),
    (
        "a payment made in 2031",
        "payment_made",
        {"payment_id": "p1", "coverage": "own_vehicle", "amount": 5, "paid_on": "2031-01-01"},
    ),
    ("an empty name", "handler_assigned", {"name": "", "office": "b", "phone": "03-1234-5678"}),
    ("a field nobody knows", "stage_changed", {"stage": "paid", "colour": "red"}),
    (
        "a date as a number",
        "customer_action_requested",
        {"action_id": "a", "description": "d", "due_date": 20261201},
    ),
    ("an unknown stage", "stage_changed", {"stage": "teleported"}),
    ("a missing field", "handler_assigned", {"name": "佐藤"}),
    ("a claim number with a space", "claim_opened", {**VALID_OPENING, "claim_number": "24 1"}),
    (
        "a full account number",
        "payment_scheduled",
        {**PAYMENT, "payee": {**PAYEE, "account_last_digits": "1234567"}},
    ),
    (
        "full-width digits in an account",
        "payment_made",
        {**PAYMENT, "payee": {**PAYEE, "account_last_digits": "１２３４"}},
    ),
    (
        "a full account number in the branch's name",
        "payment_scheduled",
        {**PAYMENT, "payee": {**PAYEE, "branch": "渋谷支店 普通 1234567"}},
    ),
    (
        "a full account number in full-width digits in the bank's name",
        "payment_made",
        {**PAYMENT, "payee": {**PAYEE, "bank": "みずほ銀行　１２３−４５６７"}},
    ),
    (
        "an account number beside the last digits",
        "payment_made",
        {**PAYMENT, "payee": {**PAYEE, "account_number": "1234567"}},
    ),
    (
        "a breakdown line in yen and sen",
        "payment_scheduled",
        {**PAYMENT, "breakdown": [{"item": "修理費", "amount": 5.5}]},
    ),
    ("a breakdown line with no item", "payment_made", {**PAYMENT, "breakdown": [{"amount": 5}]}),
    ("an extension for a reason nobody knows", "payment_deadline_extended", {"reason": "busy"}),
    (
        "an extension for a coverage nobody knows",
        "payment_deadline_extended",
        {"reason": "disaster_area", "coverage": "pets"},
    ),
    ("a claim complete next year", "claim_completed", {"completed_on": "2027-06-01"}),
    ("a completion day as a number", "claim_completed", {"completed_on": 20261120}),
]


def raw_update(
    claim_id: str, sequence: int, kind: str, data: dict[str, Any], occurred_at: str
) -> dict[str, Any]:
    return {
        "update_id": str(uuid.uuid4()),
        "claim_id": claim_id,
        "sequence": sequence,
        "occurred_at": occurred_at,
        "adjuster_id": "ADJ-017",
        "type": kind,
        "data": data,
    }


def envelope_bytes(update: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": update["update_id"],
            "event_type": "AdjusterUpdate",
            "schema_version": 1,
            "occurred_at": update["occurred_at"],
            "producer": "claims-core",
            "correlation_id": None,
            "data": update,
        }
    ).encode()


@pytest.mark.parametrize(("why", "kind", "data"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_the_contract_refuses(why: str, kind: str, data: dict[str, Any]) -> None:
    update = raw_update("CL-1", 2, kind, data, "2026-11-20T00:00:00Z")
    with pytest.raises(ValidationError):
        parse_adjuster_update(json.dumps(update))


def test_the_contract_refuses_ids_unsafe_in_an_address_and_sequences_past_the_store() -> None:
    for claim_id in ("CL/1", "../etc", "CL 1", "", "CL-\u0000"):
        with pytest.raises(ValidationError):
            AdjusterUpdate.of(
                **raw_update(claim_id, 1, "claim_opened", VALID_OPENING, "2026-11-20T00:00:00Z")
            )
    with pytest.raises(ValidationError):
        AdjusterUpdate.of(
            **raw_update("CL-1", 2**31, "note_added", {"text": "x"}, "2026-11-20T00:00:00Z")
        )
    with pytest.raises(ValidationError, match="accident_date is after"):
        AdjusterUpdate.of(
            **raw_update(
                "CL-1",
                1,
                "claim_opened",
                {**VALID_OPENING, "accident_date": "2099-01-01"},
                "2026-11-20T00:00:00Z",
            )
        )


def test_the_contract_takes_what_adjusters_really_send() -> None:
    for phone in ("03-1234-5678", "0120-000-123", "090-1234-5678", "0312345678"):
        update = AdjusterUpdate.of(
            **raw_update(
                "CL-2026.04_1",
                2,
                "handler_assigned",
                {"name": "佐藤 健", "office": "東京", "phone": phone},
                "2026-11-20T00:00:00+09:00",
            )
        )
        assert update.data.phone == phone  # type: ignore[attr-defined]
    note = AdjusterUpdate.of(
        **raw_update("CL-1", 3, "note_added", {"text": "一行目\n二行目"}, "2026-11-20T00:00:00Z")
    )
    assert "\n" in note.data.text  # type: ignore[attr-defined]


def test_the_contract_takes_the_payee_breakdown_completion_and_extension() -> None:
    at = "2026-11-20T00:00:00+09:00"
    opening = AdjusterUpdate.of(
        **raw_update("CL-1", 1, "claim_opened", {**VALID_OPENING, "claim_number": "24-0001"}, at)
    )
    assert opening.data.claim_number == "24-0001"  # type: ignore[attr-defined]
    lines = [{"item": "修理費", "amount": 80_000}, {"item": "免責金額", "amount": -50_000}]
    payment = {**PAYMENT, "amount": 30_000, "payee": PAYEE, "breakdown": lines}
    for kind in ("payment_scheduled", "payment_made"):
        parsed = AdjusterUpdate.of(**raw_update("CL-1", 2, kind, payment, at))
        assert parsed.data.payee.account_last_digits == "1234"  # type: ignore[attr-defined]
        assert [line.amount for line in parsed.data.breakdown] == [80_000, -50_000]  # type: ignore[attr-defined]
    completed = AdjusterUpdate.of(**raw_update("CL-1", 3, "claim_completed", {}, at))
    assert completed.data.completed_on is None  # type: ignore[attr-defined]
    extended = AdjusterUpdate.of(
        **raw_update("CL-1", 4, "payment_deadline_extended", {"reason": "disaster_area"}, at)
    )
    assert extended.data.coverage is None  # type: ignore[attr-defined]


def test_a_claim_is_complete_by_the_day_it_is_reported_so_in_japan() -> None:
    """The day counts from Japan's calendar: reported at 00:30 in Japan (15:30 UTC the day
    before), complete that Japanese day; never a day still to come, which the customer would
    read as 「必要書類がそろった」 on a day that has not happened."""

    def completed(on: str, at: str) -> AdjusterUpdate:
        return AdjusterUpdate.of(
            **raw_update("CL-1", 3, "claim_completed", {"completed_on": on}, at)
        )

    assert completed("2026-11-20", "2026-11-19T15:30:00Z").data.completed_on == date(2026, 11, 20)  # type: ignore[attr-defined]
    assert completed("2026-11-20", "2026-11-20T23:59:00+09:00") is not None
    for at in ("2026-11-20T10:00:00+09:00", "2026-11-20T00:00:00Z"):
        with pytest.raises(ValidationError, match="after the update's occurred_at"):
            completed("2026-11-21", at)


async def test_malformed_updates_go_to_the_dlq_and_stop_nobody(
    claim_status: ClaimStatusService,
) -> None:
    """Before the contract, `coverage: []` raised TypeError in the Claim's checks and the intake
    retried the fetch forever: no customer saw any update after it."""
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(opened(log, clock, "C-BAD"))
    at = clock.now.isoformat()
    bad = [raw_update(log.claim_id, 2, kind, data, at) for _, kind, data in MALFORMED]
    for update in bad:
        await publish(
            claim_status.bootstrap,
            claim_status.topic(topics.ADJUSTER_UPDATES),
            log.claim_id,
            envelope_bytes(update),
        )
    other = ClaimLog()
    await claim_status.send(
        log.next("note_added", clock, text="正しい更新"), opened(other, clock, "C-BAD")
    )
    detail = await claim_status.accident_at("C-BAD", log.claim_id, 2)
    assert detail["timeline"][0]["text"] == "正しい更新"
    await claim_status.accident_at("C-BAD", other.claim_id, 1)
    listing = await claim_status.client.get(
        "/api/v1/me/accidents", headers=claim_status.as_customer("C-BAD")
    )
    assert listing.status_code == 200 and len(listing.json()["items"]) == 2

    ids = {update["update_id"] for update in bad}
    dead = await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic(topics.dlq(topics.ADJUSTER_UPDATES)),
        lambda envelope: envelope.get("event_id") in ids,
        expected=len(bad),
    )
    assert len(dead) == len(bad)


async def test_an_update_from_the_future_is_refused(claim_status: ClaimStatusService) -> None:
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(opened(log, clock, "C-FUT"))
    future = ManualClock(clock.now.replace(year=2099))
    from_2099 = log.next("note_added", future, text="未来から")
    posted = await claim_status.post_update(from_2099)
    assert (posted.status_code, posted.json()["code"]) == (422, "invalid_update")
    assert "future" in posted.json()["message"]
    await claim_status.send(from_2099)
    await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic(topics.dlq(topics.ADJUSTER_UPDATES)),
        lambda envelope: envelope.get("event_id") == str(from_2099.update_id),
    )
    detail = await claim_status.accident("C-FUT", log.claim_id)
    assert len(detail.json()["timeline"]) == 1


async def test_the_http_route_refuses_what_kafka_refuses(claim_status: ClaimStatusService) -> None:
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(opened(log, clock, "C-HTTP"))
    for _, kind, data in MALFORMED:
        update = raw_update(log.claim_id, 2, kind, data, clock.now.isoformat())
        # \ud800 escaped, as an adjusters' system would send it
        posted = await claim_status.post_raw_update(log.claim_id, json.dumps(update))
        assert posted.status_code == 422, (kind, data)
        assert set(posted.json()) >= {"code", "message"}


async def test_a_reused_update_id_with_other_content_is_a_conflict(
    claim_status: ClaimStatusService,
) -> None:
    """Before, the second update was taken for a redelivery of the first and vanished."""
    clock, log = claim_status.clock, ClaimLog()
    first = opened(log, clock, "C-CON")
    note = log.next("note_added", clock, text="一回目")
    await claim_status.send(first, note)
    await claim_status.accident_at("C-CON", log.claim_id, 2)
    reused = note.model_copy(update={"data": note.data.model_copy(update={"text": "別の内容"})})
    await claim_status.send(note, reused)  # a redelivery, then a conflict
    dead = await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic(topics.dlq(topics.ADJUSTER_UPDATES)),
        lambda envelope: envelope["data"]["data"].get("text") == "別の内容",
    )
    assert dead
    posted = await claim_status.post_update(reused)
    assert posted.status_code == 422 and "other content" in posted.json()["message"]
    again = await claim_status.post_update(note)
    assert again.json() == {"outcome": "duplicate"}
    detail = (await claim_status.accident("C-CON", log.claim_id)).json()
    assert detail["timeline"][0]["text"] == "一回目"


async def test_a_nul_in_a_claim_id_or_a_cursor_is_a_400_not_a_500(
    claim_status: ClaimStatusService,
) -> None:
    """Both reached PostgreSQL, which refuses NUL in text: the customer saw a 500."""
    customer = claim_status.as_customer("C-NUL")
    in_path = await claim_status.client.get("/api/v1/me/accidents/CL%001", headers=customer)
    cursor = base64.urlsafe_b64encode(json.dumps(["2026-11-01", "CL\u00001"]).encode()).decode()
    in_cursor = await claim_status.client.get(
        "/api/v1/me/accidents", params={"cursor": cursor}, headers=customer
    )
    assert (in_path.status_code, in_path.json()["code"]) == (400, "invalid_characters")
    assert (in_cursor.status_code, in_cursor.json()["code"]) == (400, "invalid_cursor")


async def test_an_update_keyed_to_another_claim_goes_to_the_dlq(
    claim_status: ClaimStatusService,
) -> None:
    """Before, it was applied out of turn and the update that then came in order was refused
    as "sequence 2 was already used": a valid update lost, the reason on the wrong one."""
    clock, log = claim_status.clock, ClaimLog()
    await claim_status.send(opened(log, clock, "C-KEY"))
    stray = log.next("note_added", clock, text="別の鍵で届いた")
    await publish(
        claim_status.bootstrap,
        claim_status.topic(topics.ADJUSTER_UPDATES),
        "CL-SOMETHING-ELSE",
        encode(new_envelope(stray, producer="claims-core")),
    )
    [dead] = await find_envelopes(
        claim_status.bootstrap,
        claim_status.topic(topics.dlq(topics.ADJUSTER_UPDATES)),
        lambda envelope: (
            envelope.get("event_id") is not None
            and envelope["data"].get("update_id") == str(stray.update_id)
        ),
    )
    assert dead["data"]["data"]["text"] == "別の鍵で届いた"
    proper = stray.model_copy(update={"update_id": uuid.uuid4()})
    await claim_status.send(proper)
    detail = await claim_status.accident_at("C-KEY", log.claim_id, 2)
    assert detail["timeline"][0]["text"] == "別の鍵で届いた"
