"""The PostgreSQL event store every service records its aggregates in: eventsourcing's own
recorder, inserting a transaction's events as one array per column.

eventsourcing inserts them as one array of a composite row type. psycopg turns a composite
into text field by field in Python, and that was a tenth of claim-status's CPU under load; arrays of
plain types in binary (`%b`) cost the client and the server 20-25 µs an event where the same arrays
as text cost 50 (hex-escaped bytea). The table lock that keeps notification ids in commit order,
the NOTIFY and the returned ids are eventsourcing's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

RECORDER_TOPIC = "claims_shared.event_store:EventStoreRecorder"


class EventStoreRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_columns_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(self.datastore.originator_id_type),
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            (
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ),
            prepare=True,
        )
