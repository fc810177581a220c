"""Finding an account by the email customers type, and throttling emails that have no account.

`AccountEmails` is a read model projected from the Account events (exactly once, with its position
in the same transaction; see claims_shared.projection)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from eventsourcing.domain import DomainEventProtocol

from claims_shared.logging import get_logger
from identity.domain import Account, FailureRecord

log = get_logger(__name__)


class AccountEmails:
    name = "account_emails"
    ddl = """
    CREATE TABLE IF NOT EXISTS account_emails (
        email      text PRIMARY KEY,
        account_id uuid NOT NULL UNIQUE
    );
    CREATE TABLE IF NOT EXISTS unknown_email_failures (
        email           text PRIMARY KEY,
        failures        int NOT NULL,
        last_failure_at timestamptz NOT NULL,
        locked_until    timestamptz
    );
    """

    async def apply(self, conn: asyncpg.Connection, domain_event: DomainEventProtocol[Any]) -> None:
        if isinstance(domain_event, Account.Registered):
            email = domain_event.email
            inserted = await conn.fetchval(
                "INSERT INTO account_emails (email, account_id) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING RETURNING true",
                email.strip().lower(),
                domain_event.originator_id,
            )
            if not inserted:
                log.error(
                    "second account for one email left out of the lookup",
                    account_id=str(domain_event.originator_id),
                )


async def find_account(pool: asyncpg.Pool, email: str) -> uuid.UUID | None:
    value = await pool.fetchval("SELECT account_id FROM account_emails WHERE email = $1", email)
    return value if isinstance(value, uuid.UUID) else None


async def unknown_email_failures(pool: asyncpg.Pool, email: str) -> FailureRecord:
    row = await pool.fetchrow(
        "SELECT failures, last_failure_at, locked_until FROM unknown_email_failures "
        "WHERE email = $1",
        email,
    )
    return FailureRecord(*row) if row else FailureRecord()


async def save_unknown_email_failures(
    pool: asyncpg.Pool, email: str, record: FailureRecord, now: datetime
) -> None:
    await pool.execute(
        "INSERT INTO unknown_email_failures VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO UPDATE "
        "SET failures = $2, last_failure_at = $3, locked_until = $4",
        email,
        record.failures,
        record.last_failure_at or now,
        record.locked_until,
    )
