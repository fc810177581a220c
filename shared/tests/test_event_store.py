"""The event store's insert (one array per column) keeps eventsourcing's promises: a save's
events get notification ids in order, a version saved twice is refused, and what was saved
reads back as it was; followers in the saving process get the saved events themselves; rows the
json module wrote before the orjson transcoder read back as they did, and the other way round."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, cast

import asyncpg
import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Notification
from eventsourcing.utils import get_topic

from backbone_fixtures import Ledger, Ledgers, ledgers
from claims_shared.event_store import EventStoreRecorder
from claims_shared.follow import NotificationFollower, RecentlyRecorded
from claims_shared.settings import eventsourcing_env
from claims_shared.transcoder import OrjsonTranscoder


def test_a_save_of_several_aggregates_is_numbered_in_order_and_reads_back(
    database_url: str,
) -> None:
    app = ledgers(database_url)
    try:
        assert isinstance(app.recorder, EventStoreRecorder)
        first, second = Ledger("自動車"), Ledger("対物")
        for n in range(1, 4):
            first.record(n)
        second.record(1)
        app.save(first, second)

        notifications = app.recorder.select_notifications(start=1, limit=100)
        assert [n.id for n in notifications] == [1, 2, 3, 4, 5, 6]
        assert [(n.originator_id, n.originator_version) for n in notifications] == [
            (first.id, 1),
            (first.id, 2),
            (first.id, 3),
            (first.id, 4),
            (second.id, 1),
            (second.id, 2),
        ]
        reread: Ledger = app.repository.get(first.id)
        assert (reread.name, reread.entries, reread.version) == ("自動車", 3, 4)
    finally:
        app.close()


def test_a_version_saved_twice_is_refused_and_nothing_of_that_save_is_kept(
    database_url: str,
) -> None:
    writer, other_writer = ledgers(database_url), ledgers(database_url)
    try:
        ledger_id = writer.open("車両")
        stale: Ledger = other_writer.repository.get(ledger_id)
        writer.record(ledger_id)
        stale.record(99)
        fresh = Ledger("人身傷害")
        with pytest.raises(IntegrityError):
            other_writer.save(stale, fresh)

        assert writer.recorder.max_notification_id() == 2
        assert writer.repository.get(ledger_id).entries == 1
    finally:
        writer.close()
        other_writer.close()


class RememberingLedgers(RecentlyRecorded, Ledgers):
    remember_last = 3


def test_followers_take_the_events_just_saved_from_memory_and_decode_the_rest(
    database_url: str,
) -> None:
    app = RememberingLedgers(env=eventsourcing_env(database_url))
    try:
        ledger = Ledger("搭乗者傷害")
        for n in range(1, 5):
            ledger.record(n)
        app.save(ledger)  # notification ids 1-5; the last three are remembered
        assert [app.recorded(n) is not None for n in range(1, 6)] == [
            False,
            False,
            True,
            True,
            True,
        ]
        saved = [app.recorded(n) for n in (3, 4, 5)]
        follower = NotificationFollower(application=app, pool=cast(asyncpg.Pool, None))
        notifications = app.recorder.select_notifications(start=1, limit=10)

        def decoded_by(follower: NotificationFollower, batch: list[Notification]) -> list[Any]:
            return [event for _, event in follower.readable_events(batch, [])]

        remembered = decoded_by(follower, notifications[2:])
        assert all(e is s for e, s in zip(remembered, saved, strict=True)), "not decoded again"
        older = decoded_by(follower, notifications[:2])  # decoded, remembered
        other = NotificationFollower(application=app, pool=cast(asyncpg.Pool, None))
        assert all(
            e is o for e, o in zip(decoded_by(other, notifications[:2]), older, strict=True)
        ), "decoded once for the process, not once for each follower"

        events = older + remembered
        decoded = [app.mapper.to_domain_event(n) for n in notifications]
        assert [(e.originator_version, type(e)) for e in events] == [
            (e.originator_version, type(e)) for e in decoded
        ]
        assert [getattr(e, "sequence", None) for e in events] == [None, 1, 2, 3, 4]
    finally:
        app.close()


class Payment(Aggregate):
    """Holds what the orjson transcoder leaves to the json module (a UUID, a Decimal, a float, a
    marker in a list) beside what it writes itself."""

    @event("Scheduled")
    def __init__(self, claim_id: str, amount: int, extra: dict[str, Any]) -> None:
        self.claim_id = claim_id
        self.amount = amount
        self.extra = extra

    @event("Made")
    def make(self, paid_on: str, payee: dict[str, Any] | None) -> None:
        self.paid_on = paid_on
        self.payee = payee


class Payments(Ledgers):
    name = "Payments"


class LaterPayments(Ledgers):
    name = "LaterPayments"


def stored_payments(application: type[Ledgers], env: dict[str, str]) -> list[Any]:
    """Two payments saved through an application with this environment; their ids."""
    app = application(env=env)
    try:
        plain = Payment("CL-000001", 350000, {"memo": "修理代（車両）", "lines": [1, 2]})
        plain.make("2026-11-20", {"bank": "みずほ", "digits": "1234"})
        mixed = Payment(
            "CL-000002",
            2**70,
            {"id": uuid.UUID(int=5), "rate": 0.1, "due": [Decimal("1.10")], "nan": float("nan")},
        )
        mixed.make("2026-11-21", None)
        app.save(plain, mixed)
        return [plain.id, mixed.id]
    finally:
        app.close()


def read_back(application: type[Ledgers], env: dict[str, str], ids: list[Any]) -> list[str]:
    """Every stored event and both payments, as the repr of their attributes (types shown)."""
    app = application(env=env)
    try:
        notifications = app.recorder.select_notifications(start=1, limit=10)
        events = [app.mapper.to_domain_event(n) for n in notifications]
        payments = [app.repository.get(payment_id) for payment_id in ids]
        return [repr(vars(e)) for e in events] + [repr(vars(p)) for p in payments]
    finally:
        app.close()


def test_rows_the_json_module_wrote_read_back_as_they_did_and_the_other_way_round(
    database_url: str,
) -> None:
    env = eventsourcing_env(database_url)
    assert env["TRANSCODER_TOPIC"] == get_topic(OrjsonTranscoder)
    json_module = {**env, "TRANSCODER_TOPIC": get_topic(JSONTranscoder)}

    written_before = stored_payments(Payments, json_module)
    as_they_did = read_back(Payments, json_module, written_before)
    assert read_back(Payments, env, written_before) == as_they_did
    assert f"'amount': {2**70}" in as_they_did[-1]
    assert "'paid_on': '2026-11-20'" in as_they_did[-2]

    written_now = stored_payments(LaterPayments, env)  # then read by a release rolled back
    assert read_back(LaterPayments, json_module, written_now) == read_back(
        LaterPayments, env, written_now
    )
