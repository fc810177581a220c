"""identity's HTTP API: parse, authorise, call; the answers to refusals are in ERRORS."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import Counter
from pydantic import BaseModel, Field

from claims_shared.auth import (
    CHANGE_PASSWORD_FIRST,
    INVALID_TOKEN,
    NOT_ALLOWED,
    NOT_SIGNED_IN,
    CurrentCustomer,
    KeyFetcher,
    PasswordChanger,
)
from claims_shared.emails import EmailAddress
from claims_shared.errors import ErrorTable, Message, Refusal
from claims_shared.inputs import OpaqueToken, Password, RequestBody
from claims_shared.passwords import PASSWORD_REFUSED, PasswordRefused
from claims_shared.throttle import LockedOut, TooManyAttempts
from claims_shared.web import Language, Now, Wired, outside_maintenance
from identity.application import (
    AccountNotFound,
    Accounts,
    CurrentPasswordIncorrect,
    InvalidCredentials,
    TemporaryPasswordExpired,
)
from identity.devices import device_from_user_agent
from identity.live_session import ENDED_SESSION, LiveCustomer, LivePasswordChanger
from identity.sessions import RefreshTokenInvalid
from identity.sign_in import Session, SessionNotFound, SignInService

LOG_INS = Counter(
    "identity_log_ins_total",
    "Customer log-ins by outcome (success, password_change_required, invalid_credentials, "
    "temporary_password_expired, throttled)",
    ["outcome"],
)

INVALID_CREDENTIALS = Message(
    "メールアドレスまたはパスワードが正しくありません。",
    "The email address or password is incorrect.",
)
TOO_MANY_ATTEMPTS = Message(
    "ログインの失敗が続いたため、しばらくログインできません。時間をおいてお試しください。",
    "Too many failed log-ins. Please wait a while and try again.",
)
LOCKED_OUT = Message(
    "ログインの失敗が続いたため、安全のためこのアカウントへのログインを一時停止しています。"
    "停止中は、正しいパスワードでもログインできません。",
    "Logging in to this account is suspended for your safety after too many failed attempts. "
    "While it is suspended, even the right password cannot log in.",
)
TEMPORARY_EXPIRED = Message(
    "仮パスワードの有効期限が切れています。パスワード再発行から新しい仮パスワードを受け取ってください。",
    "Your temporary password has expired. Please request a new one with 'Forgot password'.",
)
REFRESH_INVALID = Message(
    "ログインの有効期限が切れました。もう一度ログインしてください。",
    "Your session has ended. Please log in again.",
)
CURRENT_INCORRECT = Message(
    "現在のパスワードが正しくありません。", "Your current password is incorrect."
)
SESSION_NOT_FOUND = Message(
    "このセッションは見つかりません。すでにログアウトしている可能性があります。",
    "This session was not found. It may have been logged out already.",
)
RESET_ACCEPTED = Message(
    "ご登録のメールアドレスであれば、仮パスワードをお送りしました。メールをご確認ください。",
    "If this address is registered, we have sent a temporary password. Please check your mail.",
)

SESSION_ENDED = Refusal(401, "invalid_refresh_token", REFRESH_INVALID)
SIGNED_IN = (*NOT_SIGNED_IN, CHANGE_PASSWORD_FIRST, NOT_ALLOWED)
"""What a route for a customer's full session may answer before its own work."""
LIVE = (*SIGNED_IN, ENDED_SESSION)
"""And a route that acts only while the token's session is live (identity.live_session)."""
ERRORS = ErrorTable(
    {
        InvalidCredentials: Refusal(401, "invalid_credentials", INVALID_CREDENTIALS),
        TemporaryPasswordExpired: Refusal(401, "temporary_password_expired", TEMPORARY_EXPIRED),
        TooManyAttempts: Refusal(429, "too_many_attempts", TOO_MANY_ATTEMPTS),
        LockedOut: Refusal(429, "account_locked", LOCKED_OUT),
        RefreshTokenInvalid: SESSION_ENDED,
        CurrentPasswordIncorrect: Refusal(401, "current_password_incorrect", CURRENT_INCORRECT),
        PasswordRefused: PASSWORD_REFUSED,
        SessionNotFound: Refusal(404, "session_not_found", SESSION_NOT_FOUND),
        # a valid token whose account is gone (/me); a refresh tells it as SESSION_ENDED
        AccountNotFound: Refusal(401, "invalid_token", REFRESH_INVALID),
    }
)
"""identity's refusals, installed by identity.main through the app factory."""

SIGN_IN = Wired[SignInService]("sign_in")
ACCOUNTS = Wired[Accounts]("accounts")
JWKS = Wired[KeyFetcher]("jwks")


# The web front asks for the refresh token as a cookie that page scripts cannot read (HttpOnly,
# scoped to the session routes, SameSite=Strict); the app keeps taking it in the body. Using the
# cookie needs this header too, which a foreign site cannot send without a CORS preflight.
SESSION_COOKIE_NAME = "claims_session"
SESSION_COOKIE_PATH = "/api/v1/sessions"
COOKIE_TRANSPORT_HEADER = "x-session-transport"


@dataclass(frozen=True)
class SessionCookie:
    """The web front's refresh token, living as long as the token itself."""

    max_age: timedelta

    def give(self, response: Response, refresh_token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE_NAME,
            refresh_token,
            max_age=int(self.max_age.total_seconds()),
            path=SESSION_COOKIE_PATH,
            secure=True,
            httponly=True,
            samesite="strict",
        )


SESSION_COOKIE = Wired[SessionCookie]("session_cookie")

DEVICE_COOKIE_NAME = "claims_device"
DEVICE_COOKIE_DAYS = 400
"""As long as browsers keep a cookie: a device is "new" only once in that time."""


def _give_device_cookie(response: Response, device_id: str) -> None:
    """The browser's random device id, sent back only to the log-in (its path), never readable
    by page scripts: identity keeps its hash per account to tell a new device's log-in."""
    response.set_cookie(
        DEVICE_COOKIE_NAME,
        device_id,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path=SESSION_COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


SignInServiceDep = Annotated[SignInService, Depends(SIGN_IN)]
AccountsDep = Annotated[Accounts, Depends(ACCOUNTS)]
SessionCookieDep = Annotated[SessionCookie, Depends(SESSION_COOKIE)]


class Credentials(RequestBody):
    email: EmailAddress
    password: Password
    device_id: OpaqueToken | None = Field(
        default=None,
        description="The app's device id from its last log-in (the web front's is a cookie)",
    )


class RefreshRequest(RequestBody):
    refresh_token: OpaqueToken | None = None


class PasswordChange(RequestBody):
    current_password: Password
    new_password: Password


class PasswordResetRequest(RequestBody):
    email: EmailAddress


class SessionOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name
    expires_in: int
    refresh_token: str | None
    password_change_required: bool
    device_id: str | None = Field(
        default=None, description="The app keeps this and sends it at its next log-in"
    )


class Me(BaseModel):
    user_id: uuid.UUID
    email: str
    customer_id: str
    policy_numbers: list[str]


class SessionView(BaseModel):
    session_id: uuid.UUID
    device: str = Field(description="Browser and platform in the caller's language")
    first_used_at: datetime = Field(description="The log-in that started it")
    last_used_at: datetime
    current: bool = Field(description="The session this request was made from")


class SessionList(BaseModel):
    sessions: list[SessionView]


class Accepted(BaseModel):
    message: str


class ServiceStatus(BaseModel):
    status: str = "open"


def _wants_cookie(request: Request) -> bool:
    return request.headers.get(COOKIE_TRANSPORT_HEADER, "").lower() == "cookie"


def _session_out(
    session: Session, request: Request, response: Response, cookie: SessionCookie
) -> SessionOut:
    """The refresh token in the body, or only in the HttpOnly cookie for the web front."""
    refresh_token, device_id = session.refresh_token, session.device_id
    if _wants_cookie(request):
        if refresh_token is None:
            _end_cookie(response)
        else:
            cookie.give(response, refresh_token)
        if device_id is not None:
            _give_device_cookie(response, device_id)
        refresh_token = device_id = None
    return SessionOut(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=refresh_token,
        password_change_required=session.password_change_required,
        device_id=device_id,
    )


def _end_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE_NAME, path=SESSION_COOKIE_PATH, secure=True, httponly=True, samesite="strict"
    )


def _expired_cookie_headers() -> dict[str, str]:
    cleared = Response()
    _end_cookie(cleared)
    return {"set-cookie": cleared.headers["set-cookie"]}


customer_router = APIRouter(
    prefix="/api/v1", tags=["customers"], dependencies=[Depends(outside_maintenance)]
)
public_router = APIRouter(tags=["keys"])

_REFUSED_LOG_INS: dict[type[Exception], str] = {
    InvalidCredentials: "invalid_credentials",
    TemporaryPasswordExpired: "temporary_password_expired",
    TooManyAttempts: "throttled",
    LockedOut: "locked",
}
"""The log-in metric's outcome label of each refusal."""


@customer_router.post(
    "/sessions",
    response_model=SessionOut,
    responses=ERRORS.responses_for(
        InvalidCredentials, TemporaryPasswordExpired, TooManyAttempts, LockedOut
    ),
)
async def log_in(
    credentials: Credentials,
    request: Request,
    response: Response,
    sign_in: SignInServiceDep,
    cookie: SessionCookieDep,
    now: Now,
) -> SessionOut:
    try:
        session = await sign_in.log_in(
            credentials.email,
            credentials.password,
            device_from_user_agent(request.headers.get("user-agent", "")),
            credentials.device_id or request.cookies.get(DEVICE_COOKIE_NAME),
            now,
        )
    except (InvalidCredentials, TemporaryPasswordExpired, TooManyAttempts) as refused:
        LOG_INS.labels(_REFUSED_LOG_INS[type(refused)]).inc()
        raise
    LOG_INS.labels(
        "password_change_required" if session.password_change_required else "success"
    ).inc()
    return _session_out(session, request, response, cookie)


@customer_router.post(
    "/sessions/refresh", response_model=SessionOut, responses=ERRORS.responses_for(SESSION_ENDED)
)
async def refresh(
    request: Request,
    response: Response,
    sign_in: SignInServiceDep,
    cookie: SessionCookieDep,
    now: Now,
    body: RefreshRequest | None = None,
) -> SessionOut:
    """Rotates the refresh token given in the body, or the session cookie for the web front.
    A refused one also expires the web front's cookie, so it stops sending a dead token."""
    token = body.refresh_token if body else None
    if token is None and _wants_cookie(request):
        token = request.cookies.get(SESSION_COOKIE_NAME)
    if not token:
        raise SESSION_ENDED.error()
    try:
        session = await sign_in.refresh(token, now)
    except (RefreshTokenInvalid, AccountNotFound) as error:
        raise SESSION_ENDED.error(
            _expired_cookie_headers() if _wants_cookie(request) else None
        ) from error
    return _session_out(session, request, response, cookie)


@customer_router.delete(
    "/sessions", status_code=204, responses=ERRORS.responses_for(*NOT_SIGNED_IN)
)
async def log_out(principal: PasswordChanger, sign_in: SignInServiceDep, now: Now) -> Response:
    """Ends the session's refresh-token family; the short-lived access token runs out by itself."""
    if principal.session_id:
        await sign_in.log_out(uuid.UUID(principal.session_id), now)
    response = Response(status_code=204)
    _end_cookie(response)
    return response


@customer_router.put(
    "/me/password",
    status_code=204,
    responses=ERRORS.responses_for(
        *NOT_SIGNED_IN, ENDED_SESSION, CurrentPasswordIncorrect, PasswordRefused
    ),
)
async def change_password(
    body: PasswordChange, principal: LivePasswordChanger, sign_in: SignInServiceDep, now: Now
) -> Response:
    await sign_in.change_password(
        uuid.UUID(principal.user_id), body.current_password, body.new_password, now
    )
    return Response(status_code=204)


@customer_router.get(
    "/me", response_model=Me, responses=ERRORS.responses_for(*NOT_SIGNED_IN, AccountNotFound)
)
async def me(principal: CurrentCustomer, accounts: AccountsDep) -> Me:
    account = await asyncio.to_thread(accounts.account, uuid.UUID(principal.user_id))
    return Me(
        user_id=account.user_id,
        email=account.email,
        customer_id=account.customer_id or "",
        policy_numbers=account.policy_numbers,
    )


@customer_router.get("/service-status", response_model=ServiceStatus)
async def service_status() -> ServiceStatus:
    """Lets the web front show the maintenance page before anyone types: inside the weekly
    window this route, like every customer route, answers 503 `maintenance`."""
    return ServiceStatus()


@customer_router.post("/password-resets", status_code=202, response_model=Accepted)
async def request_password_reset(
    body: PasswordResetRequest, sign_in: SignInServiceDep, now: Now, language: Language
) -> Accepted:
    """Always 202 with the same body after the same time; the temporary password goes by mail if
    the account exists, and the current password keeps working until the temporary one is used."""
    await sign_in.reset_password(body.email, now)
    return Accepted(message=RESET_ACCEPTED.in_language(language))


@public_router.get("/.well-known/jwks.json")
async def jwks(keys: Annotated[KeyFetcher, Depends(JWKS)]) -> dict[str, Any]:
    return await keys()


@customer_router.get(
    "/me/sessions", response_model=SessionList, responses=ERRORS.responses_for(*LIVE)
)
async def sessions(
    principal: LiveCustomer, sign_in: SignInServiceDep, now: Now, language: Language
) -> SessionList:
    """The account's sessions that can still refresh, the one used last first."""
    found = await sign_in.sessions_of(uuid.UUID(principal.user_id), now)
    return SessionList(
        sessions=[
            SessionView(
                session_id=session.session_id,
                device=session.device.worded(language),
                first_used_at=session.signed_in_at,
                last_used_at=session.last_used_at,
                current=str(session.session_id) == principal.session_id,
            )
            for session in found
        ]
    )


@customer_router.delete(
    "/me/sessions/{session_id}",
    status_code=204,
    responses=ERRORS.responses_for(*LIVE, SessionNotFound),
)
async def end_session(
    session_id: uuid.UUID, principal: LiveCustomer, sign_in: SignInServiceDep, now: Now
) -> Response:
    """One session ended (another account's is 404, like one that does not exist)."""
    await sign_in.end_session(uuid.UUID(principal.user_id), session_id, now)
    return Response(status_code=204)


@customer_router.delete("/me/sessions", status_code=204, responses=ERRORS.responses_for(*LIVE))
async def end_other_sessions(
    principal: LiveCustomer, sign_in: SignInServiceDep, now: Now
) -> Response:
    """Every session but the one this request comes from."""
    if principal.session_id is None:
        raise INVALID_TOKEN.error()
    await sign_in.end_other_sessions(
        uuid.UUID(principal.user_id), uuid.UUID(principal.session_id), now
    )
    return Response(status_code=204)
