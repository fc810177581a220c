"""Passkeys over HTTP: a signed-in customer's list, add and remove (a recent sign-in for the
changes), and the usernameless sign-in that ends in the same session as a password's. The
browser's WebAuthn answers arrive as the JSON of PublicKeyCredential.toJSON(), checked field by
field here before py_webauthn reads them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from claims_shared.auth import NOT_SIGNED_IN, CurrentCustomer
from claims_shared.errors import ErrorTable, Message, Refusal
from claims_shared.inputs import OpaqueToken, PlainText, RequestBody
from claims_shared.throttle import TooManyAttempts
from claims_shared.web import Now, Wired, outside_maintenance
from identity.api import (
    DEVICE_COOKIE_NAME,
    ERRORS,
    LOG_INS,
    AccountsDep,
    SessionCookieDep,
    SessionOut,
    SignInServiceDep,
    _session_out,
)
from identity.application import Accounts, PasskeyChange, TemporaryPasswordExpired
from identity.devices import device_from_user_agent
from identity.live_session import ENDED_SESSION, LiveRecentlySignedIn
from identity.passkeys import (
    Ceremony,
    ChallengeExpired,
    Passkey,
    PasskeyAlreadyAdded,
    PasskeyNotFound,
    PasskeyNotVerified,
    PasskeyRefused,
    PasskeyService,
)
from identity.recent_sign_in import SIGN_IN_AGAIN

PASSKEY_ERRORS = ErrorTable(
    {
        # 409: the request is well formed, the server's state (the challenge, used or gone) is not
        ChallengeExpired: Refusal(
            409,
            "passkey_challenge_expired",
            Message(
                "時間切れになりました。もう一度はじめからお試しください。",
                "This took too long. Please start again.",
            ),
        ),
        PasskeyNotVerified: Refusal(
            400,
            "passkey_not_verified",
            Message(
                "パスキーを登録できませんでした。もう一度お試しください。",
                "The passkey could not be added. Please try again.",
            ),
        ),
        PasskeyAlreadyAdded: Refusal(
            409,
            "passkey_already_added",
            Message("このパスキーは登録済みです。", "This passkey has already been added."),
        ),
        PasskeyNotFound: Refusal(404, "not_found", Message("見つかりません。", "Not found.")),
        PasskeyRefused: Refusal(
            401,
            "passkey_refused",
            Message(
                "パスキーでログインできませんでした。パスワードでログインしてください。",
                "We could not log you in with this passkey. Please log in with your password.",
            ),
        ),
    }
)
"""The passkeys' refusals beside identity's ERRORS (identity.main installs both)."""

PASSKEYS = Wired[PasskeyService]("passkeys")
PasskeysDep = Annotated[PasskeyService, Depends(PASSKEYS)]

Base64Url = Annotated[str, StringConstraints(max_length=16384, pattern=r"^[A-Za-z0-9_-]*$")]
"""A WebAuthn byte string as toJSON() writes it (base64url without padding)."""
Transport = Annotated[str, StringConstraints(max_length=32, pattern=r"^[a-z-]+$")]


class CredProps(RequestBody):
    rk: bool


class ClientExtensionResults(RequestBody):
    """What getClientExtensionResults() reports: no extension is requested, so browsers report
    none (the web front sends {}); credProps, the one some report unasked, is let through."""

    credProps: CredProps | None = None


class AttestationResponse(RequestBody):
    clientDataJSON: Base64Url
    attestationObject: Base64Url
    transports: list[Transport] = Field(default_factory=list, max_length=8)
    authenticatorData: Base64Url | None = None
    publicKey: Base64Url | None = None
    publicKeyAlgorithm: int | None = None


class AssertionResponse(RequestBody):
    clientDataJSON: Base64Url
    authenticatorData: Base64Url
    signature: Base64Url
    userHandle: Base64Url | None = None


class Credential(RequestBody):
    id: Base64Url
    rawId: Base64Url
    type: Literal["public-key"]
    authenticatorAttachment: Literal["platform", "cross-platform"] | None = None
    clientExtensionResults: ClientExtensionResults = Field(default_factory=ClientExtensionResults)


class NewCredential(Credential):
    response: AttestationResponse


class SignInCredential(Credential):
    response: AssertionResponse


class NewPasskey(RequestBody):
    challenge_id: uuid.UUID
    name: Annotated[PlainText, StringConstraints(max_length=64)] | None = None
    credential: NewCredential


class PasskeySignIn(RequestBody):
    challenge_id: uuid.UUID
    credential: SignInCredential
    device_id: OpaqueToken | None = Field(
        default=None,
        description="The app's device id from its last log-in (the web front's is a cookie)",
    )


class CeremonyOut(BaseModel):
    """`options` go to navigator.credentials.create()/get() (as PublicKeyCredential's
    parseCreationOptionsFromJSON/parseRequestOptionsFromJSON read them); `challenge_id` comes
    back with the answer."""

    challenge_id: uuid.UUID
    options: dict[str, Any]


class PasskeyOut(BaseModel):
    passkey_id: uuid.UUID
    name: str
    created_at: datetime
    last_used_at: datetime | None
    disabled_at: datetime | None = Field(
        default=None,
        description="When identity disabled it as a possible copy (its sign count went back); "
        "it signs nobody in, and the customer may remove it",
    )


def _ceremony_out(ceremony: Ceremony) -> CeremonyOut:
    return CeremonyOut(challenge_id=ceremony.challenge_id, options=ceremony.options)


def _passkey_out(passkey: Passkey) -> PasskeyOut:
    return PasskeyOut(
        passkey_id=passkey.passkey_id,
        name=passkey.name,
        created_at=passkey.created_at,
        last_used_at=passkey.last_used_at,
        disabled_at=passkey.disabled_at,
    )


def _credential(credential: Credential) -> dict[str, Any]:
    return credential.model_dump(exclude_none=True)


def _notice(accounts: Accounts, user_id: uuid.UUID, now: datetime, change: PasskeyChange) -> Any:
    """PasskeyAdded / PasskeyRemoved on the account, saved inside the passkey's transaction."""

    async def record(name: str) -> None:
        await asyncio.to_thread(accounts.record_passkey_change, user_id, name, now, change)

    return record


def _disabled_notice(accounts: Accounts, now: datetime) -> Callable[[Passkey], Awaitable[None]]:
    """PasskeyDisabled on the cloned passkey's account, inside the transaction that disables it."""

    async def record(passkey: Passkey) -> None:
        await _notice(accounts, passkey.user_id, now, "disabled")(passkey.name)

    return record


passkeys_router = APIRouter(
    prefix="/api/v1", tags=["passkeys"], dependencies=[Depends(outside_maintenance)]
)
_RECENT = (*NOT_SIGNED_IN, SIGN_IN_AGAIN, ENDED_SESSION)


@passkeys_router.get(
    "/me/passkeys",
    response_model=list[PasskeyOut],
    responses=ERRORS.responses_for(*NOT_SIGNED_IN),
)
async def list_passkeys(principal: CurrentCustomer, passkeys: PasskeysDep) -> list[PasskeyOut]:
    user_id = uuid.UUID(principal.user_id)
    return [_passkey_out(passkey) for passkey in await passkeys.passkeys.of_user(user_id)]


@passkeys_router.post(
    "/me/passkeys/options",
    response_model=CeremonyOut,
    responses=ERRORS.responses_for(*_RECENT),
)
async def passkey_registration_options(
    principal: LiveRecentlySignedIn, passkeys: PasskeysDep, accounts: AccountsDep, now: Now
) -> CeremonyOut:
    user_id = uuid.UUID(principal.user_id)
    account = await asyncio.to_thread(accounts.account, user_id)
    return _ceremony_out(await passkeys.registration_options(user_id, account.email, now))


@passkeys_router.post(
    "/me/passkeys",
    status_code=201,
    response_model=PasskeyOut,
    responses=PASSKEY_ERRORS.responses_for(
        ChallengeExpired, PasskeyNotVerified, PasskeyAlreadyAdded
    )
    | ERRORS.responses_for(*_RECENT),
)
async def add_passkey(
    body: NewPasskey,
    principal: LiveRecentlySignedIn,
    passkeys: PasskeysDep,
    accounts: AccountsDep,
    now: Now,
) -> PasskeyOut:
    user_id = uuid.UUID(principal.user_id)
    passkey = await passkeys.add(
        user_id,
        body.challenge_id,
        _credential(body.credential),
        body.name,
        now,
        _notice(accounts, user_id, now, "added"),
    )
    return _passkey_out(passkey)


@passkeys_router.delete(
    "/me/passkeys/{passkey_id}",
    status_code=204,
    responses=PASSKEY_ERRORS.responses_for(PasskeyNotFound) | ERRORS.responses_for(*_RECENT),
)
async def remove_passkey(
    passkey_id: uuid.UUID,
    principal: LiveRecentlySignedIn,
    passkeys: PasskeysDep,
    accounts: AccountsDep,
    now: Now,
) -> Response:
    user_id = uuid.UUID(principal.user_id)
    await passkeys.remove(user_id, passkey_id, _notice(accounts, user_id, now, "removed"))
    return Response(status_code=204)


@passkeys_router.post("/sessions/passkey/options", response_model=CeremonyOut)
async def passkey_sign_in_options(passkeys: PasskeysDep, now: Now) -> CeremonyOut:
    return _ceremony_out(await passkeys.sign_in_options(now))


@passkeys_router.post(
    "/sessions/passkey",
    response_model=SessionOut,
    responses=PASSKEY_ERRORS.responses_for(ChallengeExpired, PasskeyRefused)
    | ERRORS.responses_for(TemporaryPasswordExpired, TooManyAttempts),
)
async def log_in_with_passkey(
    body: PasskeySignIn,
    request: Request,
    response: Response,
    passkeys: PasskeysDep,
    sign_in: SignInServiceDep,
    accounts: AccountsDep,
    cookie: SessionCookieDep,
    now: Now,
) -> SessionOut:
    """The same session, tokens and cookie as the password's log-in (POST /api/v1/sessions)."""
    try:
        user_id = await passkeys.verify_sign_in(
            body.challenge_id, _credential(body.credential), now, _disabled_notice(accounts, now)
        )
        session = await sign_in.log_in_with_passkey(
            user_id,
            device_from_user_agent(request.headers.get("user-agent", "")),
            body.device_id or request.cookies.get(DEVICE_COOKIE_NAME),
            now,
        )
    except (ChallengeExpired, PasskeyRefused, TemporaryPasswordExpired, TooManyAttempts):
        LOG_INS.labels("passkey_refused").inc()
        raise
    LOG_INS.labels(
        "password_change_required" if session.password_change_required else "passkey"
    ).inc()
    return _session_out(session, request, response, cookie)
