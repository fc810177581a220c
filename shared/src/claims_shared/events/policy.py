"""Inbound from the policy administration system (and the import command): policy.records.

Checked whole at the edge like the adjuster updates: a record registration cannot use (a procedure
code hash argon2 cannot read, a policy that ends before it starts, a name with control characters)
goes to the DLQ with the reason instead of failing a customer's registration later."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StrictStr, StringConstraints, model_validator

from claims_shared.events import topics
from claims_shared.events.envelope import EventData
from claims_shared.events.fields import Identifier, IsoDate, Name, required_when

ProcedureCodeHash = Annotated[
    StrictStr,
    StringConstraints(
        max_length=512,
        pattern=r"^\$argon2(id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$",
    ),
]
"""An argon2 hash in its PHC string form, the only form registration can verify."""

PolicyNumber = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]*$")
]


class PolicyHolder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    full_name: Name
    full_name_kana: Name
    date_of_birth: IsoDate

    @model_validator(mode="after")
    def _born_in_living_memory(self) -> PolicyHolder:
        if not date(1900, 1, 1) <= self.date_of_birth <= date.today():
            raise ValueError("date_of_birth is not a plausible birth date")
        return self


class ProcedureCode(BaseModel):
    """手続コード, printed on the postcard; the policy system sends only its argon2id hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: Literal["issued", "masked", "used", "expired"]
    hash: ProcedureCodeHash | None
    expires_on: IsoDate | None

    _issued_codes_have_a_hash = required_when(
        "hash", "an issued procedure code needs its hash", state="issued"
    )


class PolicyRecorded(EventData):
    event_type = "PolicyRecorded"
    topic = topics.POLICY_RECORDS

    policy_number: PolicyNumber
    contract_type: Literal["individual", "group"]
    customer_id: Identifier
    holder: PolicyHolder
    procedure_code: ProcedureCode
    valid_from: IsoDate
    valid_to: IsoDate

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> PolicyRecorded:
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self
