"""The devices each account has logged in from. A device is a random id the browser keeps in an
HttpOnly cookie (the app: in its storage, sent in the log-in's body); identity keeps only its
SHA-256 per account, so a database dump names no device. A log-in with an id the account has not
used (or with none) is from a new device, and is told by mail (SignedInFromNewDevice), except an
account's very first log-in: the customer has just registered, and "a new device" would be every
new customer's first mail. Accounts that existed before devices were recorded take their first
log-in after the release the same way, so nobody is mailed for a device they have always used."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

_ISSUED_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
"""secrets.token_urlsafe(32): anything else a client sends is replaced by a fresh id."""


@dataclass(frozen=True)
class Recognised:
    device_id: str
    new: bool
    """A device this account had not used, and not the account's first log-in."""


def device_id_or_new(sent: str | None) -> str:
    return sent if sent is not None and _ISSUED_SHAPE.match(sent) else secrets.token_urlsafe(32)


def device_hash(device_id: str) -> str:
    return hashlib.sha256(device_id.encode()).hexdigest()


class KnownDevices:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def recognise(self, user_id: uuid.UUID, sent: str | None, now: datetime) -> Recognised:
        """One statement (issue 19: it was a transaction of four round trips): every part of a
        statement sees the same snapshot, so `first` reads the account's devices as they were
        before this log-in's upsert, exactly as the SELECT before the INSERT did."""
        device_id = device_id_or_new(sent)
        row = await self.pool.fetchrow(_RECOGNISE, user_id, device_hash(device_id), now)
        assert row is not None
        return Recognised(device_id, new=bool(row["inserted"]) and not row["first"])


_RECOGNISE = (
    "WITH upserted AS (INSERT INTO known_devices (user_id, device_hash, first_seen_at, "
    "last_seen_at) VALUES ($1, $2, $3, $3) ON CONFLICT (user_id, device_hash) "
    "DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at RETURNING xmax = 0 AS inserted) "
    "SELECT (SELECT inserted FROM upserted) AS inserted, "
    "NOT EXISTS (SELECT 1 FROM known_devices WHERE user_id = $1) AS first"
)
"""The upsert's `xmax = 0` is true for a row it inserted, false for one it updated."""
