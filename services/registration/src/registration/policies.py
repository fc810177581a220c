"""The policy eligibility view: the latest PolicyRecorded of each policy number, applied exactly
once (the event id is recorded with the row, see claims_shared.idempotency)."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiokafka import ConsumerRecord

from claims_shared.events import PolicyRecorded, decode
from claims_shared.idempotency import apply_once
from registration.domain import Policy
from registration.typing_rules import policy_number

POLICIES_DDL = """
CREATE TABLE IF NOT EXISTS policies (
    policy_number   text PRIMARY KEY,
    contract_type   text NOT NULL,
    customer_id     text NOT NULL,
    full_name       text NOT NULL,
    full_name_kana  text NOT NULL,
    date_of_birth   date NOT NULL,
    code_state      text NOT NULL,
    code_hash       text,
    code_expires_on date,
    valid_from      date NOT NULL,
    valid_to        date NOT NULL,
    recorded_at     timestamptz NOT NULL
)
"""


async def find_policy(pool: asyncpg.Pool, number: str) -> Policy | None:
    row = await pool.fetchrow(
        "SELECT policy_number, contract_type, customer_id, full_name, full_name_kana, "
        "date_of_birth, code_state, code_hash, code_expires_on FROM policies "
        "WHERE policy_number = $1",
        number,
    )
    return Policy(**dict(row)) if row else None


def policy_records_handler(pool: asyncpg.Pool) -> Any:
    async def handle(record: ConsumerRecord) -> None:
        envelope = decode(record.value)
        if not isinstance(envelope.data, PolicyRecorded):
            return
        data = envelope.data

        async def upsert(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO policies VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
                "ON CONFLICT (policy_number) DO UPDATE SET contract_type=$2, customer_id=$3, "
                "full_name=$4, full_name_kana=$5, date_of_birth=$6, code_state=$7, code_hash=$8, "
                "code_expires_on=$9, valid_from=$10, valid_to=$11, recorded_at=$12",
                policy_number(data.policy_number),
                data.contract_type,
                data.customer_id,
                data.holder.full_name,
                data.holder.full_name_kana,
                data.holder.date_of_birth,
                data.procedure_code.state,
                data.procedure_code.hash,
                data.procedure_code.expires_on,
                data.valid_from,
                data.valid_to,
                envelope.occurred_at,
            )

        await apply_once(pool, "registration:policies", str(envelope.event_id), upsert)

    return handle
