"""The Claim's rules alone, with no database."""

import uuid
from typing import Any

import pytest

from claim_status.domain import Claim, InvalidUpdate
from claims_shared.events import AdjusterUpdate


def update(sequence: int, kind: str, data: dict[str, Any], update_id: str = "") -> AdjusterUpdate:
    return AdjusterUpdate.of(
        update_id=update_id or str(uuid.uuid4()),
        claim_id="CL-1",
        sequence=sequence,
        occurred_at=f"2026-11-20T00:{sequence % 60:02d}:00Z",
        adjuster_id="ADJ-1",
        type=kind,
        data=data,
    )


OPENED = {
    "customer_id": "C1",
    "policy_number": "A1",
    "accident_date": "2026-11-19",
    "summary": "追突",
}


def claim(*updates: tuple[str, dict]) -> Claim:
    c = Claim("CL-1")
    for sequence, (kind, data) in enumerate([("claim_opened", OPENED), *updates], start=1):
        c.apply_update(update(sequence, kind, data))
    return c


def refused(c: Claim, kind: str, data: dict) -> str:
    with pytest.raises(InvalidUpdate) as error:
        c.apply_update(update(c.last_sequence + 1, kind, data))
    return str(error.value)


def test_nothing_before_claim_opened() -> None:
    with pytest.raises(InvalidUpdate, match="before claim_opened"):
        Claim("CL-1").apply_update(update(1, "stage_changed", {"stage": "investigating"}))


def test_stages_move_forward_investigating_may_repeat_negotiating_is_optional() -> None:
    c = claim(
        ("stage_changed", {"stage": "investigating"}),
        ("stage_changed", {"stage": "investigating"}),
        ("stage_changed", {"stage": "payment_processing"}),
    )
    assert c.state is not None and c.state["stage"] == "payment_processing"
    assert "may not go" in refused(c, "stage_changed", {"stage": "negotiating"})
    assert "may not go" in refused(c, "stage_changed", {"stage": "payment_processing"})


def test_only_reopening_follows_a_close() -> None:
    c = claim(("claim_closed", {}))
    assert "closed claim" in refused(c, "stage_changed", {"stage": "paid"})
    c.apply_update(update(3, "claim_reopened", {}))
    assert c.state is not None and (c.state["stage"], c.state["closed"]) == ("investigating", False)


def test_coverages_actions_and_payments_are_checked() -> None:
    c = claim(("customer_action_requested", {"action_id": "a1", "description": "修理見積書の提出"}))
    assert "no open action" in refused(c, "customer_action_completed", {"action_id": "a9"})
    c.apply_update(
        update(3, "payment_scheduled", {"payment_id": "p1", "coverage": "own_vehicle", "amount": 5})
    )
    assert "already known" in refused(
        c, "payment_scheduled", {"payment_id": "p1", "coverage": "own_vehicle", "amount": 9}
    )


def test_a_sequence_must_be_the_next_one() -> None:
    c = claim()
    with pytest.raises(InvalidUpdate, match="not next"):
        c.apply_update(update(3, "note_added", {"text": "x"}))


@pytest.mark.parametrize(
    ("updates", "stage"),
    [
        ([], "reported"),
        (
            [("handler_assigned", {"name": "a", "office": "b", "phone": "03-1234-5678"})],
            "handler_assigned",
        ),
        (
            [
                ("stage_changed", {"stage": "investigating"}),
                ("handler_assigned", {"name": "a", "office": "b", "phone": "03-1234-5678"}),
            ],
            "investigating",
        ),
        ([("claim_closed", {}), ("claim_reopened", {})], "investigating"),
    ],
)
def test_the_stage_an_event_announces_is_the_stage_the_claim_reaches(
    updates: list, stage: str
) -> None:
    c = claim(*updates)
    assert c.state is not None and c.state["stage"] == stage
    events = c.collect_events()
    assert events[-1].stage == stage  # type: ignore[attr-defined]


def test_the_demo_feed_tells_a_story_the_rules_accept() -> None:
    from claim_status.demo_feed import updates_for

    c = Claim("CL-DEMO")
    for story_update in updates_for("CL-DEMO", "C0000001", "A2026000001", "追突", "プリウス"):
        c.apply_update(story_update)
    assert c.state is not None and c.state["stage"] == "closed"
    assert c.state["payments"]["p1"]["status"] == "made"
    assert c.state.get("claim_number"), "the demo shows the accident's number"
    assert c.state["completed_on"] and c.state["payments"]["p1"].get("payee") is not None


def test_workers_are_read_from_the_environment_as_operators_write_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from claim_status.settings import ClaimStatusSettings

    monkeypatch.setenv("CLAIM_STATUS_WORKERS", " consumer, sweeper ,")
    assert ClaimStatusSettings().workers == ("consumer", "sweeper")
    monkeypatch.setenv("CLAIM_STATUS_WORKERS", "")
    assert ClaimStatusSettings().workers == ()


def test_an_unknown_worker_name_is_refused_at_start() -> None:
    from pydantic import ValidationError

    from claim_status.settings import ClaimStatusSettings

    assert ClaimStatusSettings(workers="projection,relay").workers == ("projection", "relay")
    with pytest.raises(ValidationError, match="unknown workers"):
        ClaimStatusSettings(workers="projection,relai")


def test_the_handlers_answers_follow_the_rules_between_updates() -> None:
    message = {"message_id": str(uuid.uuid4()), "text": "お写真を受け取りました。"}
    c = claim(("message_to_customer", message))
    assert "already sent" in refused(c, "message_to_customer", message)

    c.apply_update(update(3, "claim_closed", {}))
    read = {"up_to": str(uuid.uuid4())}
    c.apply_update(update(4, "customer_messages_read", read))  # the last message, read late
    assert "closed claim" in refused(
        c, "document_reviewed", {"document_id": str(uuid.uuid4()), "result": "accepted"}
    )
    assert c.state is not None and c.state["handler_read_up_to"] == read["up_to"]


def test_asking_for_a_document_again_says_why() -> None:
    with pytest.raises(ValueError, match="a resubmit needs its reason"):
        update(2, "document_reviewed", {"document_id": str(uuid.uuid4()), "result": "resubmit"})


def test_a_deadline_is_extended_only_once_the_claim_is_complete() -> None:
    c = claim()
    assert "before claim_completed" in refused(
        c, "payment_deadline_extended", {"reason": "expert_examination"}
    )
    c.apply_update(update(2, "claim_completed", {"completed_on": "2026-11-02"}))
    c.apply_update(update(3, "payment_deadline_extended", {"reason": "expert_examination"}))
    c.apply_update(update(4, "claim_completed", {"completed_on": "2026-11-05"}))  # corrected
    assert c.state is not None and c.state["completed_on"] == "2026-11-05"
    assert c.state["deadline_extensions"] == [
        {"reason": "expert_examination", "coverage": None, "at": "2026-11-20T00:03:00+00:00"}
    ]


def test_a_coverages_deadline_is_extended_only_for_a_coverage_the_claim_names() -> None:
    """An extension of a coverage the claim does not name would be told to the customer and
    change no deadline: refused with the reason, for the DLQ."""
    c = claim()
    c.apply_update(update(2, "claim_completed", {"completed_on": "2026-11-02"}))
    extension = {"reason": "public_authority_inquiry", "coverage": "property_damage"}
    assert "property_damage, a coverage this claim does not name" in refused(
        c, "payment_deadline_extended", extension
    )
    c.apply_update(
        update(3, "coverage_updated", {"coverage": "property_damage", "status": "reviewing"})
    )
    c.apply_update(update(4, "payment_deadline_extended", extension))
    assert c.state is not None
    assert [e["coverage"] for e in c.state["deadline_extensions"]] == ["property_damage"]


def test_a_payments_breakdown_sums_to_its_amount() -> None:
    payee = {"bank": "みずほ銀行", "branch": "渋谷支店", "account_last_digits": "0042"}
    lines = [{"item": "修理費", "amount": 400_000}, {"item": "免責金額", "amount": -50_000}]
    payment = {"payment_id": "P1", "coverage": "own_vehicle", "amount": 350_000}
    c = claim()
    assert "sums to 350000, not 360000" in refused(
        c, "payment_scheduled", {**payment, "amount": 360_000, "breakdown": lines}
    )
    c.apply_update(update(2, "payment_scheduled", {**payment, "payee": payee, "breakdown": lines}))
    assert "sums to 350000, not 1" in refused(
        c, "payment_made", {**payment, "amount": 1, "breakdown": lines}
    )
    c.apply_update(update(3, "payment_made", payment))
    assert c.state is not None
    made = c.state["payments"]["P1"]
    assert made["status"] == "made"
    assert made.get("payee") == payee, "the payee the schedule named is kept"
    assert made.get("breakdown") == lines, "the same amount keeps its breakdown"
