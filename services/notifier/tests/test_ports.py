"""The customer directory and notice schedule the fast tier keeps in memory (notifier_fakes)
behave as the notifier's tables do where the fast tests rely on them: each check runs against
both. (The sent-mail log's one mail per event id is test_mails.py's.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from notifier.handlers import CustomerDirectory, CustomerTable, NoticeSchedule
from notifier.notices import StatusNoticeTable
from notifier_fakes import InMemoryCustomers, InMemoryNotices
from notifier_harness import NotifierService


async def directory_keeps_the_latest_address(customers: CustomerDirectory) -> None:
    customer = f"C{uuid.uuid4().hex[:8]}"
    assert await customers.email_of(customer) is None
    await customers.remember(customer, "taro@example.jp", "ja")
    await customers.remember(customer, "taro.new@example.jp", "en")
    assert await customers.email_of(customer) == "taro.new@example.jp"


async def schedule_counts_each_event_once(notices: NoticeSchedule) -> None:
    """Three changes of one claim (one heard twice), one of another, and two messages of the
    first; the caller reads what its store holds: three notices, the first joined by two
    changes, the messages' apart from it."""
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    status, message = "claim_status_changed", "new_message"
    await notices.schedule_once(first, "CL-0001", "C-0001", 60, status)
    await notices.schedule_once(first, "CL-0001", "C-0001", 60, status)  # redelivered
    await notices.schedule_once(second, "CL-0001", "C-0001", 60, status)
    await notices.schedule_once(str(uuid.uuid4()), "CL-0002", "C-0001", 60, status)
    await notices.schedule_once(str(uuid.uuid4()), "CL-0001", "C-0001", 60, message)
    await notices.schedule_once(str(uuid.uuid4()), "CL-0001", "C-0001", 60, message)


@pytest.fixture
async def pool(notifier: NotifierService) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(notifier.settings.database_url, min_size=1, max_size=2)
    yield pool
    await pool.close()


async def test_customer_directory_in_postgres(pool: asyncpg.Pool) -> None:
    await directory_keeps_the_latest_address(CustomerTable(pool))


async def test_customer_directory_in_memory() -> None:
    await directory_keeps_the_latest_address(InMemoryCustomers())


async def test_notice_schedule_in_postgres(pool: asyncpg.Pool) -> None:
    await schedule_counts_each_event_once(StatusNoticeTable(pool))
    rows = await pool.fetch("SELECT claim_id, kind, changes FROM status_notices ORDER BY 1, 2")
    assert [tuple(row) for row in rows] == [
        ("CL-0001", "claim_status_changed", 2),
        ("CL-0001", "new_message", 2),
        ("CL-0002", "claim_status_changed", 1),
    ]


async def test_notice_schedule_in_memory() -> None:
    notices = InMemoryNotices()
    await schedule_counts_each_event_once(notices)
    waiting = sorted((n.claim_id, n.kind, n.changes) for n in notices.waiting.values())
    assert waiting == [
        ("CL-0001", "claim_status_changed", 2),
        ("CL-0001", "new_message", 2),
        ("CL-0002", "claim_status_changed", 1),
    ]
