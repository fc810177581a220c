"""In-memory stand-ins for the notifier's ports (notifier.main.NotifierPorts), and `deliver`,
which hands an event to a dispatch table as the consumer runner does. test_ports.py checks the
directory's and the schedule's behaviour against PostgreSQL; the sent-mail log's (one mail per
event id) is test_mails.py's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from claims_shared.events import EventData, new_envelope
from claims_shared.kafka import Dispatch
from claims_shared.testing import consumer_record
from notifier.handlers import CustomerDirectory, Mailer, NoticeSchedule
from notifier.mails import Mail
from notifier.main import NotifierPorts
from notifier.preferences import InMemoryPreferences


class InMemoryCustomers:
    """The customers table: one address and language per customer, the latest kept."""

    def __init__(self) -> None:
        self.customers: dict[str, tuple[str, str]] = {}

    async def remember(self, customer_id: str, email: str, language: str) -> None:
        self.customers[customer_id] = (email, language)

    async def email_of(self, customer_id: str) -> str | None:
        known = self.customers.get(customer_id)
        return known[0] if known else None


@dataclass
class Notice:
    customer_id: str
    claim_id: str
    window_seconds: float
    kind: str
    changes: int = 1


@dataclass
class InMemoryNotices:
    """The status_notices table: one waiting notice of each kind per customer and claim that
    later changes of that kind join; an event id seen before changes nothing (the
    processed-events record)."""

    waiting: dict[tuple[str, str, str], Notice] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)

    async def schedule_once(
        self, event_id: str, claim_id: str, customer_id: str, window_seconds: float, kind: str
    ) -> None:
        if event_id in self.processed:
            return
        self.processed.add(event_id)
        key = (customer_id, claim_id, kind)
        notice = self.waiting.get(key)
        if notice is None:
            self.waiting[key] = Notice(customer_id, claim_id, window_seconds, kind)
        else:
            notice.changes += 1


class FakeMailSender:
    """MailSender without SMTP: one mail per event id, kept in `sent` in order."""

    def __init__(self) -> None:
        self.sent: dict[str, Mail] = {}

    async def send_once(self, event_id: str, mail: Mail) -> bool:
        if event_id in self.sent:
            return False
        self.sent[event_id] = mail
        return True

    @property
    def mails(self) -> list[Mail]:
        return list(self.sent.values())


def in_memory_ports() -> NotifierPorts:
    return NotifierPorts(
        InMemoryCustomers(), InMemoryNotices(), FakeMailSender(), InMemoryPreferences()
    )


async def deliver(table: Dispatch, data: EventData, key: str, event_id: str = "") -> None:
    """Hand `data` to `table` as the consumer runner would: decoded from the record once, then
    to the handler of its type (skipped when the table names no handler for it)."""
    envelope = new_envelope(data, producer="test", event_id=_uuid(event_id))
    received = table.read(consumer_record(envelope, data.topic, key))
    if received is not None:
        await table.handle([received])


def _uuid(event_id: str) -> uuid.UUID | None:
    return uuid.UUID(event_id) if event_id else None


_customers: type[CustomerDirectory] = InMemoryCustomers  # mypy: each fake fits its port
_notices: type[NoticeSchedule] = InMemoryNotices
_mailer: type[Mailer] = FakeMailSender
