"""A claim as it was at a moment (`?as_of=`): its updates read from the event store up to that
moment and folded by the same `evolve` the read model uses, so the view of a past day is what
the customer would have read on it, not a second implementation of the rules.

The customer writes the moment as a date (the end of that day in Japan time) or a time (without
an offset: Japan time); a phone's IME may type it in full-width digits."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from claim_status.domain import Claim, ClaimDocument, claim_key, data_of, evolve
from claims_shared.events.claims import JAPAN


def parse_as_of(typed: str) -> datetime:
    """The moment `typed` names, timezone-aware. Raises ValueError for anything else (a date
    with no such day, a time with no date, text)."""
    text = unicodedata.normalize("NFKC", typed[:64]).strip()
    if len(typed) > 64:  # refused in the same words as any other text that names no moment
        raise ValueError("too long for a date or a time")
    if len(text) == 10:  # YYYY-MM-DD: up to the end of that day in Japan
        day = date.fromisoformat(text)
        return datetime.combine(day + timedelta(days=1), time(), JAPAN) - timedelta(microseconds=1)
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"not a date or a time: {typed!r}")
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=JAPAN) if moment.tzinfo is None else moment


class ClaimHistory:
    """Reads one claim's stored events with asyncpg (one query, on the event loop) and decodes
    them with the Claims application's own mapper."""

    def __init__(self, pool: asyncpg.Pool, claims: Application[Any]) -> None:
        self.pool = pool
        self.mapper = claims.mapper
        recorder = claims.recorder
        assert isinstance(recorder, PostgresApplicationRecorder), "the event store is PostgreSQL"
        schema = recorder.datastore.schema or "public"
        self._select = (
            "SELECT originator_id, originator_version, topic, state "
            f'FROM "{schema}"."{recorder.events_table_name}" '
            "WHERE originator_id = $1 ORDER BY originator_version"
        )

    async def claim_at(self, claim_id: str, moment: datetime) -> ClaimDocument | None:
        """The claim's document with every update that had occurred by `moment` (None: not
        opened yet). Updates are folded in their order up to the first that occurred later:
        an update sent with an earlier clock after a later one stays after it, as it came."""
        rows = await self.pool.fetch(self._select, claim_key(claim_id))
        claim: ClaimDocument | None = None
        for row in rows:
            event = self.mapper.to_domain_event(
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
            )
            if not isinstance(event, Claim.UpdateApplied):
                continue  # the claim's Registered event
            if datetime.fromisoformat(event.occurred_at) > moment:
                break
            claim = evolve(
                claim,
                data_of(event.kind, event.data),
                sequence=event.sequence,
                occurred_at=event.occurred_at,
            )
        return claim


def as_utc(moment: datetime) -> str:
    """A moment as the API writes times (ISO 8601, UTC)."""
    return moment.astimezone(UTC).isoformat()
