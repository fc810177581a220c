"""The places where this project leans on eventsourcing's private or lightly documented API
(docs/architecture.md, "Where we lean on eventsourcing's internals"). Each is pinned here, with
no database, so that an upgrade that changes one fails here, by name, instead of as a wrong
number in a benchmark or a stall under load."""

from __future__ import annotations

import inspect
import uuid

from eventsourcing.application import Application, LRUCache
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Recording
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import get_topic

from claims_shared.follow import RecentlyRecorded
from claims_shared.transcoder import OrjsonTranscoder


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text


class Notes(RecentlyRecorded, Application[uuid.UUID]):
    """An in-memory application (POPO recorder) with the followers' memory mixed in."""


def test_application_notify_is_called_with_the_recordings_of_each_save() -> None:
    """RecentlyRecorded overrides Application._notify: the followers take the events just
    saved from memory only as long as eventsourcing calls it after every save, with recordings
    that carry the notification id and the domain event."""
    assert "recordings" in inspect.signature(Application._notify).parameters
    assert {"domain_event", "notification"} <= set(inspect.signature(Recording).parameters)
    notes = Notes()
    note = Note("修理見積書を受け取りました")
    [recording] = notes.save(note)
    assert notes.recorded(recording.notification.id) is recording.domain_event


def test_the_postgres_recorder_still_has_what_the_event_store_overrides_and_followers_read() -> (
    None
):
    """claims_shared.event_store overrides _insert_stored_events and calls _lock_table and
    _notify_channel (the lock keeps notification ids in commit order); the followers read
    channel_name, events_table_name and datastore.schema to LISTEN and SELECT themselves."""
    insert = inspect.signature(PostgresApplicationRecorder._insert_stored_events)
    assert list(insert.parameters)[:3] == ["self", "curs", "stored_events"]
    for method in ("_lock_table", "_notify_channel"):
        assert callable(getattr(PostgresApplicationRecorder, method, None)), method
    init = inspect.signature(PostgresApplicationRecorder.__init__).parameters
    assert {"datastore", "events_table_name"} <= set(init)
    source = inspect.getsource(PostgresApplicationRecorder)
    for attribute in ("self.channel_name", "self.events_table_name"):
        assert attribute in source, attribute
    datastore = inspect.getsource(PostgresDatastore.__init__)
    for attribute in ("self.schema", "self.originator_id_type"):
        assert attribute in datastore, attribute


def test_the_repository_cache_is_read_and_evicted_as_claims_does() -> None:
    """claim-status reads its claims from the repository's cache without a copy
    (deepcopy_from_cache=False), drops a claim changed but not saved with cache.get(evict=True),
    and turns off fast-forwarding with AGGREGATE_CACHE_FASTFORWARD."""
    assert "deepcopy_from_cache" in inspect.signature(Application().repository.get).parameters
    cache: LRUCache[str, int] = LRUCache(maxsize=2)
    cache.put("claim", 1)
    assert cache.get("claim", evict=True) == 1
    try:
        cache.get("claim")
    except KeyError:
        pass
    else:
        raise AssertionError("evict=True no longer evicts")
    notes = Notes(env={"AGGREGATE_CACHE_MAXSIZE": "10", "AGGREGATE_CACHE_FASTFORWARD": "n"})
    assert notes.repository.cache is not None
    assert notes.repository.fastforward is False


def test_the_json_transcoder_still_encodes_and_revives_through_its_markers() -> None:
    """claims_shared.transcoder calls JSONTranscoder._encode_obj as orjson's `default` and
    _decode_obj on each dict orjson read, and is chosen by the TRANSCODER_TOPIC setting."""
    transcoder = JSONTranscoder()
    Application().register_transcodings(transcoder)
    marker = transcoder._encode_obj(uuid.UUID(int=1))
    assert marker == {"_type_": "uuid_hex", "_data_": uuid.UUID(int=1).hex}
    assert transcoder._decode_obj(marker) == uuid.UUID(int=1)
    assert transcoder._decode_obj({"_type_": "uuid_hex"}) == {"_type_": "uuid_hex"}
    application = Application(env={"TRANSCODER_TOPIC": get_topic(OrjsonTranscoder)})
    assert type(application.mapper.transcoder) is OrjsonTranscoder
