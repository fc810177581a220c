"""In-memory stand-ins for the ports services share, for the fast test tier (services/*/tests/
fast): no broker, no database. Each behaves like the real adapter where a fast test depends on
it, and each such behaviour is also checked against the real adapter by an integration test
(shared/tests/test_failure_log.py; claim-status's DLQ tests for `dead_letter`).

The clock tests move is devinfra.testing.ManualClock; eventsourcing's own in-memory persistence
is `POPO`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from aiokafka import ConsumerRecord
from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol

from claims_shared.events import Envelope, EventData, encode
from claims_shared.kafka import DeadLetter
from claims_shared.throttle import FailureRecord, FailureRecords

POPO: dict[str, str] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
"""The env an eventsourcing Application takes to keep its events in memory."""


class InMemoryFailureLog:
    """claims_shared.throttle.FailureLog in a dict: one record per subject, replaced on save,
    gone on clear (the table's primary key is the subject)."""

    def __init__(self) -> None:
        self.records: dict[str, FailureRecord] = {}

    async def load(self, subject: str) -> FailureRecord:
        return self.records.get(subject, FailureRecord())

    async def save(self, subject: str, record: FailureRecord) -> None:
        self.records[subject] = record

    async def clear(self, subject: str) -> None:
        self.records.pop(subject, None)


class FakePublisher:
    """claims_shared.kafka.EventPublisher's dead-letter path, kept in a list to read back."""

    def __init__(self, topic_prefix: str = "") -> None:
        self.topic_prefix = topic_prefix
        self.dead_letters: list[DeadLetter] = []

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.dead_letters.append(letter)


def leaving(
    application: Application[Any],
    translate: Callable[[DomainEventProtocol[Any]], list[tuple[str, EventData]]],
) -> list[EventData]:
    """The integration events the outbox relay would publish from everything `application`
    has recorded so far, in order (what other services would hear)."""
    notifications = application.recorder.select_notifications(start=1, limit=1_000_000)
    return [
        data
        for notification in notifications
        for _, data in translate(application.mapper.to_domain_event(notification))
    ]


def forged_token(token: str, **claims: Any) -> str:
    """`token` with `claims` rewritten in its payload and its signature kept: what an attacker
    who edits a token they were given sends (a verifier must refuse it)."""
    header, payload, signature = token.split(".")
    rewritten = {**json.loads(base64.urlsafe_b64decode(payload + "==")), **claims}
    forged = base64.urlsafe_b64encode(json.dumps(rewritten).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def consumer_record(
    envelope: Envelope[Any], topic: str, key: str, offset: int = 0
) -> ConsumerRecord[bytes, bytes]:
    """The record a consumer handler would read for `envelope`."""
    value = encode(envelope)
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=int(envelope.occurred_at.timestamp() * 1000),
        timestamp_type=0,
        key=key.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(key.encode()),
        serialized_value_size=len(value),
        headers=[],
    )


_failure_records_port: type[FailureRecords] = InMemoryFailureLog  # mypy: it fits the port
