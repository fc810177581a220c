"""identity's HTTP API: parse, authorise, call, map errors; nothing else."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import Counter
from pydantic import BaseModel

from claims_shared.auth import Principal, current_customer, password_changer
from claims_shared.emails import EmailAddress
from claims_shared.errors import ApiError, Message, request_language
from claims_shared.inputs import OpaqueToken, Password, RequestBody
from claims_shared.passwords import PasswordRefused
from claims_shared.throttle import TooManyAttempts
from claims_shared.web import outside_maintenance, request_time
from identity.application import (
    AccountNotFound,
    CurrentPasswordIncorrect,
    InvalidCredentials,
    TemporaryPasswordExpired,
)
from identity.sessions import RefreshTokenInvalid
from identity.sign_in import Session, SignIn

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
RESET_ACCEPTED = Message(
    "ご登録のメールアドレスであれば、仮パスワードをお送りしました。メールをご確認ください。",
    "If this address is registered, we have sent a temporary password. Please check your mail.",
)


class Credentials(RequestBody):
    email: EmailAddress
    password: Password


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


class Me(BaseModel):
    user_id: uuid.UUID
    email: str
    customer_id: str
    policy_numbers: list[str]


class Accepted(BaseModel):
    message: str


class ServiceStatus(BaseModel):
    status: str = "open"


# The web front asks for the refresh token as a cookie that page scripts cannot read (HttpOnly,
# scoped to the session routes, SameSite=Strict); the app keeps taking it in the body. Using the
# cookie needs this header too, which a foreign site cannot send without a CORS preflight.
SESSION_COOKIE = "claims_session"
SESSION_COOKIE_PATH = "/api/v1/sessions"
COOKIE_TRANSPORT_HEADER = "x-session-transport"


def _wants_cookie(request: Request) -> bool:
    return request.headers.get(COOKIE_TRANSPORT_HEADER, "").lower() == "cookie"


def _sign_in(request: Request) -> SignIn:
    sign_in: SignIn = request.app.state.sign_in
    return sign_in


def _session_out(session: Session, request: Request, response: Response) -> SessionOut:
    """The refresh token in the body, or only in the HttpOnly cookie for the web front."""
    refresh_token = session.refresh_token
    if _wants_cookie(request):
        if refresh_token is None:
            _end_cookie(response)
        else:
            response.set_cookie(
                SESSION_COOKIE,
                refresh_token,
                max_age=int(_sign_in(request).refresh_tokens.lifetime.total_seconds()),
                path=SESSION_COOKIE_PATH,
                secure=True,
                httponly=True,
                samesite="strict",
            )
        refresh_token = None
    return SessionOut(
        access_token=session.access_token,
        expires_in=session.expires_in,
        refresh_token=refresh_token,
        password_change_required=session.password_change_required,
    )


def _end_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path=SESSION_COOKIE_PATH, secure=True, httponly=True, samesite="strict"
    )


def _too_many(error: TooManyAttempts, now: datetime) -> ApiError:
    return ApiError(
        429, "too_many_attempts", TOO_MANY_ATTEMPTS, {"Retry-After": str(error.retry_after(now))}
    )


customer_router = APIRouter(
    prefix="/api/v1", tags=["customers"], dependencies=[Depends(outside_maintenance)]
)
public_router = APIRouter(tags=["keys"])

UNAUTHORISED: dict[int | str, dict[str, Any]] = {
    401: {"description": "invalid credentials or token"}
}


@customer_router.post(
    "/sessions",
    response_model=SessionOut,
    responses={**UNAUTHORISED, 429: {"description": "throttled or locked"}},
)
async def log_in(credentials: Credentials, request: Request, response: Response) -> SessionOut:
    now = request_time(request)
    try:
        session = await _sign_in(request).log_in(credentials.email, credentials.password, now)
    except InvalidCredentials as error:
        LOG_INS.labels("invalid_credentials").inc()
        raise ApiError(401, "invalid_credentials", INVALID_CREDENTIALS) from error
    except TemporaryPasswordExpired as error:
        LOG_INS.labels("temporary_password_expired").inc()
        raise ApiError(401, "temporary_password_expired", TEMPORARY_EXPIRED) from error
    except TooManyAttempts as error:
        LOG_INS.labels("throttled").inc()
        raise _too_many(error, now) from error
    LOG_INS.labels(
        "password_change_required" if session.password_change_required else "success"
    ).inc()
    return _session_out(session, request, response)


@customer_router.post("/sessions/refresh", response_model=SessionOut, responses=UNAUTHORISED)
async def refresh(
    request: Request, response: Response, body: RefreshRequest | None = None
) -> SessionOut:
    """Rotates the refresh token given in the body, or the session cookie for the web front."""
    token = body.refresh_token if body else None
    if token is None and _wants_cookie(request):
        token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise ApiError(401, "invalid_refresh_token", REFRESH_INVALID)
    try:
        session = await _sign_in(request).refresh(token, request_time(request))
    except (RefreshTokenInvalid, AccountNotFound) as error:
        if _wants_cookie(request):
            raise ApiError(
                401, "invalid_refresh_token", REFRESH_INVALID, _expired_cookie_headers()
            ) from error
        raise ApiError(401, "invalid_refresh_token", REFRESH_INVALID) from error
    return _session_out(session, request, response)


def _expired_cookie_headers() -> dict[str, str]:
    cleared = Response()
    _end_cookie(cleared)
    return {"set-cookie": cleared.headers["set-cookie"]}


@customer_router.delete("/sessions", status_code=204, responses=UNAUTHORISED)
async def log_out(
    request: Request, principal: Annotated[Principal, Depends(password_changer)]
) -> Response:
    """Ends the session's refresh-token family; the short-lived access token runs out by itself."""
    if principal.session_id:
        await _sign_in(request).log_out(uuid.UUID(principal.session_id), request_time(request))
    response = Response(status_code=204)
    _end_cookie(response)
    return response


@customer_router.put(
    "/me/password",
    status_code=204,
    responses={**UNAUTHORISED, 422: {"description": "the new password is refused"}},
)
async def change_password(
    body: PasswordChange,
    request: Request,
    principal: Annotated[Principal, Depends(password_changer)],
) -> Response:
    try:
        await _sign_in(request).change_password(
            uuid.UUID(principal.user_id),
            body.current_password,
            body.new_password,
            request_time(request),
        )
    except CurrentPasswordIncorrect as error:
        raise ApiError(401, "current_password_incorrect", CURRENT_INCORRECT) from error
    except PasswordRefused as error:
        raise ApiError(422, error.refusal.code, error.refusal.message) from error
    return Response(status_code=204)


@customer_router.get("/me", response_model=Me, responses=UNAUTHORISED)
async def me(request: Request, principal: Annotated[Principal, Depends(current_customer)]) -> Me:
    try:
        account = await asyncio.to_thread(
            _sign_in(request).accounts.account, uuid.UUID(principal.user_id)
        )
    except AccountNotFound as error:
        raise ApiError(401, "invalid_token", REFRESH_INVALID) from error
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
async def request_password_reset(body: PasswordResetRequest, request: Request) -> Accepted:
    """Always 202 with the same body after the same time; the temporary password goes by mail if
    the account exists, and the current password keeps working until the temporary one is used."""
    await _sign_in(request).reset_password(body.email, request_time(request))
    return Accepted(message=RESET_ACCEPTED.in_language(request_language(request)))


@public_router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict[str, Any]:
    keys: dict[str, Any] = await request.app.state.jwks()
    return keys
