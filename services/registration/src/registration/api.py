"""registration's HTTP API: parse, call the journey; the answers to refusals are in ERRORS."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from claims_shared.emails import EmailAddress
from claims_shared.errors import ErrorTable, Message, Refusal
from claims_shared.inputs import Password, PlainText, RequestBody
from claims_shared.passwords import PASSWORD_REFUSED, PasswordRefused
from claims_shared.throttle import TooManyAttempts
from claims_shared.web import Language, Now, Wired, outside_maintenance
from registration.application import AlreadyRegistered, EmailTaken
from registration.journeys import (
    ContractNotEligible,
    ProcedureCodeUnavailable,
    RegistrationService,
    RegistrationTokenInvalid,
    VerificationFailed,
)
from registration.typing_rules import UnreadableDate, birth_date

VERIFICATION_FAILED = Message(
    "証券番号または手続コードが正しくありません。ご確認のうえ、もう一度入力してください。",
    "The policy number or procedure code is incorrect. Please check them and try again.",
)
NOT_ELIGIBLE = Message(
    "このご契約はお客さまWebサービスをご利用いただけません。お客さまWebサービスは個人のご契約者さま向けのサービスで、団体契約などはご利用いただけません。",
    "This contract cannot use the customer web service: it is for individual policyholders, "
    "and group contracts and some others cannot use it.",
)
CODE_UNAVAILABLE = Message(
    "この手続コードはご利用いただけません（「*****」と表示されている場合、使用済み・有効期限切れの場合を含みます）。「新規登録」からご登録ください。",
    "This procedure code cannot be used (it is shown as '*****', already used, or expired). "
    "Please register with 'New registration' instead.",
)
ALREADY_REGISTERED = Message(
    "このご契約はすでに登録されています。ご登録のメールアドレスでログインしてください。",
    "This policy is already registered. Please log in with your registered email address.",
)
EMAIL_TAKEN = Message(
    "このメールアドレスはすでに使われています。別のメールアドレスを入力してください。",
    "This email address is already in use. Please enter another one.",
)
TOO_MANY = Message(
    "入力の誤りが続いたため、しばらくお手続きいただけません。時間をおいてお試しください。",
    "Too many incorrect attempts. Please wait a while and try again.",
)
TOKEN_INVALID = Message(
    "お手続きの有効期限が切れたか、正しくありません。最初からやり直してください。",
    "This registration has expired or is not valid. Please start again.",
)
DETAILS_ACCEPTED = Message(
    "ご入力いただいた内容を受け付けました。ご登録が確認できた場合、仮パスワードをメールでお送りします。",
    "Thank you. If we can confirm your registration, we will email you a temporary password.",
)

REGISTRATION_ENDED = Refusal(401, "invalid_registration_token", TOKEN_INVALID)
ERRORS = ErrorTable(
    {
        TooManyAttempts: Refusal(429, "too_many_attempts", TOO_MANY),
        VerificationFailed: Refusal(401, "verification_failed", VERIFICATION_FAILED),
        ContractNotEligible: Refusal(403, "contract_not_eligible", NOT_ELIGIBLE),
        ProcedureCodeUnavailable: Refusal(410, "procedure_code_unavailable", CODE_UNAVAILABLE),
        AlreadyRegistered: Refusal(409, "already_registered", ALREADY_REGISTERED),
        RegistrationTokenInvalid: REGISTRATION_ENDED,
        EmailTaken: Refusal(409, "email_taken", EMAIL_TAKEN),
        PasswordRefused: PASSWORD_REFUSED,
    }
)
"""registration's refusals, installed by registration.main through the app factory."""

JOURNEYS = Wired[RegistrationService]("journeys")
RegistrationServiceDep = Annotated[RegistrationService, Depends(JOURNEYS)]


class ProcedureCodeRequest(RequestBody):
    policy_number: PlainText = Field(min_length=1, max_length=40)
    procedure_code: PlainText = Field(min_length=1, max_length=64)


class Started(BaseModel):
    registration_id: uuid.UUID
    registration_token: str
    expires_at: datetime


class AccountRequest(RequestBody):
    email: EmailAddress
    password: Password


class Created(BaseModel):
    user_id: uuid.UUID


class DetailsRequest(RequestBody):
    full_name: PlainText = Field(min_length=1, max_length=100)
    date_of_birth: PlainText = Field(
        min_length=6, max_length=40, examples=["1980-05-17", "昭和55年5月17日"]
    )
    policy_number: PlainText = Field(min_length=1, max_length=40)
    email: EmailAddress

    @field_validator("date_of_birth")
    @classmethod
    def _readable_date(cls, value: str) -> str:
        try:
            birth_date(value)
        except UnreadableDate as error:
            raise ValueError("is not a date (for example 1980-05-17 or 昭和55年5月17日)") from error
        return value


class Accepted(BaseModel):
    message: str


router = APIRouter(
    prefix="/api/v1/registrations",
    tags=["registration"],
    dependencies=[Depends(outside_maintenance)],
)

PROCEDURE_CODE_REFUSALS = (
    TooManyAttempts,
    VerificationFailed,
    ContractNotEligible,
    ProcedureCodeUnavailable,
    AlreadyRegistered,
)


@router.post(
    "/procedure-code",
    status_code=201,
    response_model=Started,
    responses=ERRORS.responses_for(*PROCEDURE_CODE_REFUSALS),
)
async def start_with_procedure_code(
    body: ProcedureCodeRequest, journeys: RegistrationServiceDep, now: Now, language: Language
) -> Started:
    started = await journeys.start_with_procedure_code(
        body.policy_number, body.procedure_code, now, language
    )
    return Started(
        registration_id=started.registration_id,
        registration_token=started.registration_token,
        expires_at=started.expires_at,
    )


def _registration_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise REGISTRATION_ENDED.error({"WWW-Authenticate": "Bearer"})
    return token.strip()


@router.post(
    "/{registration_id}/account",
    status_code=201,
    response_model=Created,
    # the first step's refusals are documented here too, as they always were
    responses=ERRORS.responses_for(
        *PROCEDURE_CODE_REFUSALS, RegistrationTokenInvalid, EmailTaken, PasswordRefused
    ),
)
async def set_account(
    registration_id: uuid.UUID,
    body: AccountRequest,
    token: Annotated[str, Depends(_registration_token)],
    journeys: RegistrationServiceDep,
    now: Now,
) -> Created:
    user_id = await journeys.set_account(registration_id, token, body.email, body.password, now)
    return Created(user_id=user_id)


@router.post("/details", status_code=202, response_model=Accepted)
async def register_with_details(
    body: DetailsRequest, journeys: RegistrationServiceDep, now: Now, language: Language
) -> Accepted:
    """Always 202 with the same body: the outcome goes to the email address, if it matched."""
    await journeys.register_with_details(
        body.full_name,
        birth_date(body.date_of_birth),
        body.policy_number,
        body.email,
        now,
        language,
    )
    return Accepted(message=DETAILS_ACCEPTED.in_language(language))
