"""What the customer API reads: their own accidents only. Whose claim it is is a filter on the
customer id from the token, so a foreign claim and a missing one are the same 404."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime

import asyncpg
from pydantic import TypeAdapter

from claim_status.deadlines import PaymentTerms, shipped_terms
from claim_status.documents import (
    RECEIVED_DOCUMENTS,
    RECEIVED_DOCUMENTS_OF_ITS_CUSTOMER,
    DocumentQueries,
    stored_documents,
)
from claim_status.domain import ClaimDocument
from claim_status.history import ClaimHistory, as_utc
from claim_status.messages import unread_messages
from claim_status.presentation import (
    AccidentDetailView,
    AccidentListItemView,
    detail,
    summary,
)
from claim_status.read_model import ClaimReadModel, load_document
from claim_status.typical_durations import TypicalDurations
from claims_shared.events.fields import ClaimId


def encode_cursor(accident_date: str, claim_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([accident_date, claim_id]).encode()).decode()


CLAIM_ID: TypeAdapter[str] = TypeAdapter(ClaimId)


def decode_cursor(cursor: str) -> tuple[date, str]:
    """Raises ValueError (or TypeError) for anything but a cursor this API handed out: it comes
    back from the client, so its claim id is checked like any claim id (a NUL inside one was a
    500 from the database)."""
    accident_date, claim_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return date.fromisoformat(accident_date), CLAIM_ID.validate_python(claim_id)


class ClaimQueries:
    def __init__(
        self,
        pool: asyncpg.Pool,
        read_model: ClaimReadModel,
        typical: TypicalDurations,
        history: ClaimHistory,
        terms: PaymentTerms | None = None,
    ) -> None:
        """`terms`: the insurer's payment terms (None: those shipped with the service)."""
        self.terms = terms or shipped_terms()
        self.pool = pool
        self.read_model = read_model
        self.documents = DocumentQueries(pool)
        self.typical = typical
        self.history = history

    async def list_for(
        self, customer_id: str, limit: int, cursor: tuple[date, str] | None, language: str
    ) -> tuple[list[AccidentListItemView], str | None]:
        # The documents without their timelines: the list shows none, and a timeline is the
        # part that grows with every update (the bulk of what PostgreSQL would write out and
        # this process decode). The customer's read mark on each thread
        # (messages.unread_messages counts from it).
        accidents = (
            f"SELECT a.claim_id, a.detail - 'timeline' AS detail, t.read_up_to, "
            f"{RECEIVED_DOCUMENTS} "
            f"FROM {self.read_model.table} a "
            "LEFT JOIN claim_threads t ON t.claim_id = a.claim_id AND t.customer_id = $1 "
            "WHERE a.customer_id = $1 "
        )
        if cursor is None:
            rows = await self.pool.fetch(
                accidents + "ORDER BY a.accident_date DESC, a.claim_id DESC LIMIT $2",
                customer_id,
                limit + 1,
            )
        else:
            rows = await self.pool.fetch(
                accidents + "AND (a.accident_date, a.claim_id) < ($2, $3) "
                "ORDER BY a.accident_date DESC, a.claim_id DESC LIMIT $4",
                customer_id,
                cursor[0],
                cursor[1],
                limit + 1,
            )
        items = [_list_item(row, language) for row in rows[:limit]]
        more = len(rows) > limit
        next_cursor = (
            encode_cursor(items[-1]["accident_date"], items[-1]["claim_id"]) if more else None
        )
        return items, next_cursor

    async def detail_for(
        self,
        customer_id: str,
        claim_id: str,
        language: str,
        now: datetime,
        as_of: datetime | None = None,
    ) -> AccidentDetailView | None:
        """The claim now, or as it was at `as_of` (a moment still to come: now). None: not
        this customer's claim, or not opened yet at `as_of`."""
        row = await self.pool.fetchrow(
            f"SELECT a.detail, {RECEIVED_DOCUMENTS_OF_ITS_CUSTOMER} FROM {self.read_model.table} "
            "a WHERE a.claim_id = $1 AND a.customer_id = $2",
            claim_id,
            customer_id,
        )
        if row is None:
            return None
        documents = stored_documents(row["documents"])
        if as_of is not None and as_of < now:
            then = await self.history.claim_at(claim_id, as_of)
            if then is None or then["customer_id"] != customer_id:
                return None
            claim = then
            documents = [d for d in documents if datetime.fromisoformat(d["submitted_at"]) <= as_of]
        else:
            claim = load_document(row["detail"])
        moment = as_utc(now if as_of is None or as_of >= now else as_of)
        typical = await self.typical.days(now)
        return detail(
            claim_id, claim, language, documents, as_of=moment, typical=typical, terms=self.terms
        )

    async def claim_of(self, customer_id: str, claim_id: str) -> ClaimDocument | None:
        """The claim's document if it is this customer's."""
        row = await self.pool.fetchrow(
            f"SELECT detail FROM {self.read_model.table} WHERE claim_id = $1 AND customer_id = $2",
            claim_id,
            customer_id,
        )
        return load_document(row["detail"]) if row else None


def _list_item(row: asyncpg.Record, language: str) -> AccidentListItemView:
    """One accident of the list from its row: the claim document without its timeline (which
    neither `summary` nor `unread_messages` reads), its documents and the thread's read mark."""
    claim = load_document(row["detail"])
    return {
        **summary(row["claim_id"], claim, language, stored_documents(row["documents"])),
        "unread_messages": unread_messages(claim, row["read_up_to"]),
    }
