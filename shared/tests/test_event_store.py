"""The event store's insert (one array per column) keeps eventsourcing's promises: a save's
events get notification ids in order, a version saved twice is refused, and what was saved
reads back as it was."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from backbone_fixtures import Ledger, ledgers
from claims_shared.event_store import EventStoreRecorder


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
