"""Inbound from the policy administration system (and the import command): policy.records."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from claims_shared.events import topics
from claims_shared.events.envelope import EventData


class PolicyHolder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    full_name: str
    full_name_kana: str
    date_of_birth: date


class ProcedureCode(BaseModel):
    """手続コード, printed on the postcard; the policy system sends only its argon2id hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: Literal["issued", "masked", "used", "expired"]
    hash: str | None
    expires_on: date | None


class PolicyRecorded(EventData):
    event_type = "PolicyRecorded"
    topic = topics.POLICY_RECORDS

    policy_number: str
    contract_type: Literal["individual", "group"]
    customer_id: str
    holder: PolicyHolder
    procedure_code: ProcedureCode
    valid_from: date
    valid_to: date
