"""The event store's insert (one array per column) keeps eventsourcing's promises: a save's
events get notification ids in order, a version saved twice is refused, and what was saved
reads back as it was; followers in the saving process get the saved events themselves."""

from __future__ import annotations

from typing import cast

import asyncpg
import pytest
from eventsourcing.persistence import IntegrityError

from backbone_fixtures import Ledger, Ledgers, ledgers
from claims_shared.event_store import EventStoreRecorder
from claims_shared.follow import NotificationFollower, RecentlyRecorded
from claims_shared.settings import eventsourcing_env


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

        remembered = [follower.domain_event(n) for n in notifications[2:]]
        assert all(e is s for e, s in zip(remembered, saved, strict=True)), "not decoded again"
        older = [follower.domain_event(n) for n in notifications[:2]]  # decoded, remembered
        other = NotificationFollower(application=app, pool=cast(asyncpg.Pool, None))
        assert all(
            other.domain_event(n) is e for n, e in zip(notifications[:2], older, strict=True)
        ), "decoded once for the process, not once for each follower"

        events = older + remembered
        decoded = [app.mapper.to_domain_event(n) for n in notifications]
        assert [(e.originator_version, type(e)) for e in events] == [
            (e.originator_version, type(e)) for e in decoded
        ]
        assert [getattr(e, "sequence", None) for e in events] == [None, 1, 2, 3, 4]
    finally:
        app.close()
