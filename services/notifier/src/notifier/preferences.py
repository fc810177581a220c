"""The customer's notification settings: per kind of notice, whether it is mailed and pushed.

Three kinds are the customer's to choose (NoticeKind): a claim's status changed, the handler asks
for something, a new message from the handler. Without a row the defaults hold: mail on, as
before there were settings, and push off until the customer turns it on. Security notices
(password changed, lock-out, temporary passwords) are always sent and are not settings.

`NotificationPreferences` is the port the handlers and the sweeper ask; `PreferenceTable` is its
PostgreSQL adapter (the notification_settings table); InMemoryPreferences is the fast tier's
(tests/fast), kept here so the push work and the settings routes share one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, get_args

import asyncpg

NoticeKind = Literal["status_changed", "action_requested", "message_received"]
NOTICE_KINDS: tuple[NoticeKind, ...] = get_args(NoticeKind)

# Which kind of notice each ClaimStatusChanged.change is, for the changes that are notified
# (notifier.handlers.MAILED_CHANGES names them).
ACTION_REQUESTED_CHANGES = frozenset({"customer_action_requested"})
MESSAGE_CHANGES = frozenset({"message_to_customer"})


def kind_of_change(change: str) -> NoticeKind:
    """The setting that decides a notified change: a request for action, a message, or else a
    change of status."""
    if change in ACTION_REQUESTED_CHANGES:
        return "action_requested"
    if change in MESSAGE_CHANGES:
        return "message_received"
    return "status_changed"


@dataclass(frozen=True)
class Channels:
    """How one kind of notice reaches the customer."""

    mail: bool
    push: bool


DEFAULT_CHANNELS = Channels(mail=True, push=False)


class NotificationPreferences(Protocol):
    """The customer's settings (PreferenceTable: the notification_settings table)."""

    async def channels(self, customer_id: str, kind: NoticeKind) -> Channels:
        """The channels of this kind of notice; the defaults when the customer chose none."""

    async def all_channels(self, customer_id: str) -> dict[NoticeKind, Channels]:
        """Every kind's channels, as the settings page shows them."""

    async def choose(self, customer_id: str, chosen: dict[NoticeKind, Channels]) -> None:
        """Keep the customer's choice for each kind given."""


class PreferenceTable:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def channels(self, customer_id: str, kind: NoticeKind) -> Channels:
        row = await self.pool.fetchrow(
            "SELECT mail, push FROM notification_settings WHERE customer_id = $1 AND kind = $2",
            customer_id,
            kind,
        )
        return DEFAULT_CHANNELS if row is None else Channels(mail=row["mail"], push=row["push"])

    async def all_channels(self, customer_id: str) -> dict[NoticeKind, Channels]:
        rows = await self.pool.fetch(
            "SELECT kind, mail, push FROM notification_settings WHERE customer_id = $1",
            customer_id,
        )
        chosen = {row["kind"]: Channels(mail=row["mail"], push=row["push"]) for row in rows}
        return {kind: chosen.get(kind, DEFAULT_CHANNELS) for kind in NOTICE_KINDS}

    async def choose(self, customer_id: str, chosen: dict[NoticeKind, Channels]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO notification_settings (customer_id, kind, mail, push) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (customer_id, kind) "
                "DO UPDATE SET mail = $3, push = $4, updated_at = now()",
                [(customer_id, kind, c.mail, c.push) for kind, c in chosen.items()],
            )


class InMemoryPreferences:
    """The notification_settings table in memory, for the fast tier (tests/fast)."""

    def __init__(self) -> None:
        self.chosen: dict[tuple[str, NoticeKind], Channels] = {}

    async def channels(self, customer_id: str, kind: NoticeKind) -> Channels:
        return self.chosen.get((customer_id, kind), DEFAULT_CHANNELS)

    async def all_channels(self, customer_id: str) -> dict[NoticeKind, Channels]:
        return {kind: await self.channels(customer_id, kind) for kind in NOTICE_KINDS}

    async def choose(self, customer_id: str, chosen: dict[NoticeKind, Channels]) -> None:
        for kind, channels in chosen.items():
            self.chosen[(customer_id, kind)] = channels


_table: type[NotificationPreferences] = PreferenceTable  # mypy: both fit the port
_in_memory: type[NotificationPreferences] = InMemoryPreferences
