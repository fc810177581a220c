"""The policy eligibility view: the latest PolicyRecorded of each policy number, applied exactly
once (the event id is recorded with the row, see claims_shared.idempotency)."""

from __future__ import annotations

import asyncpg

from claims_shared.events import Envelope, PolicyRecorded
from claims_shared.idempotency import apply_once
from claims_shared.kafka import EventRoutes
from registration.domain import Policy
from registration.typing_rules import policy_number


class PolicyTable:
    """The view above as journeys.PolicyBook."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def find(self, number: str) -> Policy | None:
        return await find_policy(self.pool, number)


async def find_policy(pool: asyncpg.Pool, number: str) -> Policy | None:
    row = await pool.fetchrow(
        "SELECT policy_number, contract_type, customer_id, full_name, full_name_kana, "
        "date_of_birth, code_state, code_hash, code_expires_on FROM policies "
        "WHERE policy_number = $1",
        number,
    )
    return Policy(**dict(row)) if row else None


def policy_record_routes(pool: asyncpg.Pool) -> EventRoutes:
    """The policy records consumer's dispatch table: every PolicyRecorded kept in the view."""

    async def record_policy(recorded: PolicyRecorded, envelope: Envelope[PolicyRecorded]) -> None:
        """The record replaces the one held (a policy's records come in order, keyed by its
        number), once per event id."""

        async def upsert(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO policies VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
                "ON CONFLICT (policy_number) DO UPDATE SET contract_type=$2, customer_id=$3, "
                "full_name=$4, full_name_kana=$5, date_of_birth=$6, code_state=$7, code_hash=$8, "
                "code_expires_on=$9, valid_from=$10, valid_to=$11, recorded_at=$12",
                policy_number(recorded.policy_number),
                recorded.contract_type,
                recorded.customer_id,
                recorded.holder.full_name,
                recorded.holder.full_name_kana,
                recorded.holder.date_of_birth,
                recorded.procedure_code.state,
                recorded.procedure_code.hash,
                recorded.procedure_code.expires_on,
                recorded.valid_from,
                recorded.valid_to,
                envelope.occurred_at,
            )

        await apply_once(pool, "registration:policies", str(envelope.event_id), upsert)

    return EventRoutes().on(PolicyRecorded, record_policy)
