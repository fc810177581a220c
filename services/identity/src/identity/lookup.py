"""Finding an account by the email customers type.

`AccountEmails` is a read model projected from the Account events (exactly once, with its position
in the same transaction; see claims_shared.projection)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from eventsourcing.domain import DomainEventProtocol

from claims_shared.logging import get_logger
from identity.domain import Account

log = get_logger(__name__)


class AccountEmails:
    name = "account_emails"  # also its table's, from identity's migrations

    async def apply_all(
        self, conn: asyncpg.Connection, domain_events: Sequence[DomainEventProtocol[Any]]
    ) -> None:
        for domain_event in domain_events:
            if isinstance(domain_event, Account.Registered):
                await self._add(conn, domain_event)

    async def _add(self, conn: asyncpg.Connection, domain_event: Account.Registered) -> None:
        """Not a second email check: claims_shared.emails' form passes unchanged. The fold is
        for Registered events recorded before that check, when the staff command stored the
        address as typed, so a rebuilt lookup still finds those accounts."""
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


class AccountEmailLookup:
    """The log-in lookup as sign_in.AccountsByEmail: the read model above, in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def find(self, email: str) -> uuid.UUID | None:
        return await find_account(self.pool, email)


async def find_account(pool: asyncpg.Pool, email: str) -> uuid.UUID | None:
    value = await pool.fetchval("SELECT account_id FROM account_emails WHERE email = $1", email)
    return value if isinstance(value, uuid.UUID) else None
