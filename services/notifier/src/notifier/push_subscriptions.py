"""The browsers' Web Push subscriptions (the push_subscriptions table), by customer.

A browser has one endpoint per subscription; registering an endpoint already stored (the app
re-subscribing, or another account signing in on the same phone) keeps one row, now the
registering customer's with the keys just given, so a phone never gets another account's
notices. Every query names the customer: another customer's subscription is not found."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from notifier.push_sending import PushTarget


@dataclass(frozen=True)
class StoredSubscription:
    subscription_id: uuid.UUID
    target: PushTarget


class PushSubscriptions(Protocol):
    async def add(self, customer_id: str, target: PushTarget) -> uuid.UUID:
        """Stores the subscription as the customer's; the id of its row."""

    async def remove(self, customer_id: str, subscription_id: uuid.UUID) -> bool:
        """False when the customer has no such subscription."""

    async def of_customer(self, customer_id: str) -> list[StoredSubscription]: ...

    async def forget(self, subscription_id: uuid.UUID) -> None:
        """The push service said it is gone (404/410), or its endpoint is no longer allowed."""


class PushSubscriptionTable:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def add(self, customer_id: str, target: PushTarget) -> uuid.UUID:
        subscription_id: uuid.UUID = await self.pool.fetchval(
            "INSERT INTO push_subscriptions (subscription_id, customer_id, endpoint, p256dh, auth) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (endpoint) DO UPDATE SET "
            "customer_id = $2, p256dh = $4, auth = $5, created_at = now() "
            "RETURNING subscription_id",
            uuid.uuid4(),
            customer_id,
            target.endpoint,
            target.p256dh,
            target.auth,
        )
        return subscription_id

    async def remove(self, customer_id: str, subscription_id: uuid.UUID) -> bool:
        removed = await self.pool.fetchval(
            "DELETE FROM push_subscriptions WHERE subscription_id = $1 AND customer_id = $2 "
            "RETURNING 1",
            subscription_id,
            customer_id,
        )
        return removed is not None

    async def of_customer(self, customer_id: str) -> list[StoredSubscription]:
        rows = await self.pool.fetch(
            "SELECT subscription_id, endpoint, p256dh, auth FROM push_subscriptions "
            "WHERE customer_id = $1 ORDER BY created_at",
            customer_id,
        )
        return [
            StoredSubscription(
                row["subscription_id"], PushTarget(row["endpoint"], row["p256dh"], row["auth"])
            )
            for row in rows
        ]

    async def forget(self, subscription_id: uuid.UUID) -> None:
        await self.pool.execute(
            "DELETE FROM push_subscriptions WHERE subscription_id = $1", subscription_id
        )
