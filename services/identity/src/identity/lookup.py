"""Finding an account by the email customers type.

`AccountEmails` is a read model projected from the Account events (exactly once, with its position
in the same transaction; see claims_shared.projection)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg
from eventsourcing.application import project_aggregate
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import StoredEvent

from claims_shared.logging import get_logger
from identity.application import AccountNotFound, Accounts
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
    """The log-in lookup as sign_in.AccountsByEmail: the read model above, in PostgreSQL.

    `load` finds the account and reads its stored events in one statement on the event loop
    (issue 19): through eventsourcing's repository the load was psycopg in a worker thread, a
    round trip after the lookup's, and a thread hop. The events are decoded by the
    application's own mapper (its transcoder, cipher and compressor, upcasting included) and
    folded as its repository folds them, so the Account is the one `repository.get` gives;
    saves stay eventsourcing's (with their version check)."""

    def __init__(self, pool: asyncpg.Pool, accounts: Accounts) -> None:
        self.pool = pool
        self.accounts = accounts
        self._load = _load_statement(accounts)

    async def find(self, email: str) -> uuid.UUID | None:
        return await find_account(self.pool, email)

    async def load(self, email: str) -> Account | None:
        """None for an email with no account; AccountNotFound, as `Accounts.account` raises
        it, for an email whose account has no events (which the projection never writes)."""
        if self.accounts.snapshots is not None:  # a snapshot would start the fold: the library's
            account_id = await self.find(email)
            if account_id is None:
                return None
            return await asyncio.to_thread(self.accounts.account, account_id)
        rows = await self.pool.fetch(self._load, email)
        return rebuilt(self.accounts, rows) if rows else None


def _load_statement(accounts: Accounts) -> str:
    """The lookup's row joined with the account's stored events, oldest first (the lookup's
    row alone when it has none). The events' table is the recorder's own."""
    recorder: Any = accounts.recorder
    table = f"{_quoted(recorder.datastore.schema)}.{_quoted(recorder.events_table_name)}"
    return (
        "SELECT e.account_id, s.originator_version, s.topic, s.state FROM account_emails e "
        f"LEFT JOIN {table} s ON s.originator_id = e.account_id "
        "WHERE e.email = $1 ORDER BY s.originator_version"
    )


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def rebuilt(accounts: Accounts, rows: Sequence[asyncpg.Record]) -> Account:
    """The Account from its stored events' rows, as the repository reconstructs it."""
    account_id = rows[0]["account_id"]
    domain_events = (
        accounts.mapper.to_domain_event(
            StoredEvent(
                originator_id=account_id,
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
        )
        for row in rows
        if row["topic"] is not None
    )
    account: Account | None = project_aggregate(None, domain_events)
    if account is None:
        raise AccountNotFound(account_id)
    return account


async def find_account(pool: asyncpg.Pool, email: str) -> uuid.UUID | None:
    value = await pool.fetchval("SELECT account_id FROM account_emails WHERE email = $1", email)
    return value if isinstance(value, uuid.UUID) else None
