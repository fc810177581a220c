"""Verifying identity's access tokens in any service, as FastAPI dependencies.

Tokens are JWTs signed with EdDSA (Ed25519); the algorithm is pinned (never taken from the
token's header), issuer, audience, exp and nbf are checked, and the key is chosen by `kid` from
identity's JWKS. An unknown kid triggers one refresh of the key set (key rotation), at most once
every `refresh_interval` seconds so a flood of forged kids cannot hammer identity.

Routes take the caller as a typed dependency (`CurrentCustomer`, `PasswordChanger`,
`staff_with_role`); the composition root puts the verifier with `TOKEN_VERIFIER.put(app, ...)`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from claims_shared.clock import Clock, system_clock
from claims_shared.errors import Message, Refusal
from claims_shared.settings import ServiceSettings
from claims_shared.web import Wired

ALGORITHM = "EdDSA"
VERIFIED_TOKENS_KEPT = 10_000
"""Tokens `TokenVerifier.verified` remembers (a few MB)."""

SCOPE_CUSTOMER = "customer"
SCOPE_PASSWORD_CHANGE = "password:change"  # noqa: S105 - a scope name, not a secret
SCOPE_STAFF = "staff"

UNAUTHENTICATED = Message("ログインしてください。", "Please log in.")
FORBIDDEN = Message("この操作は許可されていません。", "This action is not allowed.")
PASSWORD_CHANGE_FIRST = Message(
    "仮パスワードでログインしています。先にパスワードを変更してください。",
    "You logged in with a temporary password. Please change your password first.",
)
NO_TOKEN = Refusal(401, "unauthenticated", UNAUTHENTICATED)
INVALID_TOKEN = Refusal(401, "invalid_token", UNAUTHENTICATED)
CHANGE_PASSWORD_FIRST = Refusal(403, "password_change_required", PASSWORD_CHANGE_FIRST)
NOT_ALLOWED = Refusal(403, "forbidden", FORBIDDEN)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a customer (customer_id set) or staff (roles set), and what they may do."""

    user_id: str
    customer_id: str | None
    scopes: frozenset[str]
    roles: frozenset[str]
    session_id: str | None = None
    signed_in_at: int | None = None
    """The token's `auth_time` (seconds since the epoch): when the session's password or passkey
    was checked, kept through refreshes; a route that needs a recent sign-in compares it."""


KeyFetcher = Callable[[], Awaitable[dict[str, Any]]]


def jwks_fetcher(url: str, timeout: float = 3.0) -> KeyFetcher:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result

    return fetch


class TokenVerifier:
    def __init__(
        self,
        fetch_keys: KeyFetcher,
        *,
        issuer: str,
        audience: str,
        refresh_interval: float = 30.0,
        leeway: float = 5.0,
        clock: Clock = system_clock,
    ) -> None:
        self._fetch_keys = fetch_keys
        self.clock = clock
        self.issuer = issuer
        self.audience = audience
        self.refresh_interval = refresh_interval
        self.leeway = leeway
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()
        self._verified: dict[str, _Verified] = {}

    async def verified(self, token: str) -> Principal:
        """`verify`, remembered: a customer's pages send the same token with every request, and
        its signature check and PyJWT's parsing were a third of the accident list's time. Only
        the whole token (signature included) finds an entry, its lifetime is checked again on
        every use, and a refreshed key set (rotation) sends every token through `verify` again."""
        known = self._verified.get(token)
        if known is None or known.keys is not self._keys:
            principal = await self.verify(token)
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                self._verified.clear()  # bounded; the busy tokens come back at their next use
            known = self._verified[token] = _Verified(principal, _lifetime(token), self._keys)
        try:
            self._check_lifetime(known.lifetime)
        except jwt.PyJWTError as error:
            del self._verified[token]
            raise INVALID_TOKEN.error(
                {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from error
        return known.principal

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise jwt.InvalidAlgorithmError("algorithm not allowed")
            key = await self._key(str(header.get("kid", "")))
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={
                    "require": ["exp", "iat", "sub", "iss", "aud"],
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            self._check_lifetime(claims)
            signed_in_at = _whole_seconds(claims.get("auth_time"))
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as error:
            raise INVALID_TOKEN.error(
                {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            ) from error
        return Principal(
            user_id=str(claims["sub"]),
            customer_id=claims.get("customer_id"),
            scopes=frozenset(str(claims.get("scope", "")).split()),
            roles=frozenset(claims.get("roles", [])),
            session_id=claims.get("sid"),
            signed_in_at=signed_in_at,
        )

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        """exp and nbf against the injectable clock (PyJWT would only read the system's)."""
        now = self.clock().timestamp()
        if now >= float(claims["exp"]) + self.leeway:
            raise jwt.ExpiredSignatureError("expired")
        if now < float(claims.get("nbf", claims["iat"])) - self.leeway:
            raise jwt.ImmatureSignatureError("not yet valid")

    async def _key(self, kid: str) -> jwt.PyJWK:
        if kid not in self._keys:
            async with self._lock:
                if (
                    kid not in self._keys
                    and time.monotonic() - self._fetched_at > self.refresh_interval
                ):
                    jwks = await self._fetch_keys()
                    self._fetched_at = time.monotonic()
                    self._keys = {
                        k["kid"]: jwt.PyJWK(k, algorithm=ALGORITHM)
                        for k in jwks.get("keys", [])
                        if k.get("kid")
                    }
        return self._keys[kid]


def _whole_seconds(value: Any) -> int | None:
    """auth_time as issued (an int); a token without one (issued before it existed) has none."""
    if value is None:
        return None
    if type(value) is not int:
        raise TypeError("auth_time is not whole seconds")
    return value


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    lifetime: dict[str, Any]
    keys: dict[str, jwt.PyJWK]


def _lifetime(token: str) -> dict[str, Any]:
    """exp, iat and nbf of a token `verify` accepted (so its payload is identity's)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return {name: claims[name] for name in ("exp", "iat", "nbf") if name in claims}


TOKEN_VERIFIER = Wired[TokenVerifier]("token_verifier")


async def bearer_token(request: Request) -> str:
    """The token of the Authorization header (401 `unauthenticated` without one): a dependency,
    and the one reading of the header for a route that folds its checks into a dependency of
    its own (claim_status.api's accident reads)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NO_TOKEN.error({"WWW-Authenticate": "Bearer"})
    return token.strip()


async def _principal(
    token: Annotated[str, Depends(bearer_token)],
    verifier: Annotated[TokenVerifier, Depends(TOKEN_VERIFIER)],
) -> Principal:
    return await verifier.verified(token)


Caller = Annotated[Principal, Depends(_principal)]
"""Whoever the bearer token names, before any check of what they may do."""


async def current_customer(principal: Caller) -> Principal:
    """A customer with a full session; a must-change-password token is told to change it first."""
    if SCOPE_CUSTOMER in principal.scopes and principal.customer_id:
        return principal
    if SCOPE_PASSWORD_CHANGE in principal.scopes:
        raise CHANGE_PASSWORD_FIRST.error()
    raise NOT_ALLOWED.error()


async def password_changer(principal: Caller) -> Principal:
    """A customer allowed to change their password: full sessions and must-change tokens."""
    if principal.scopes & {SCOPE_CUSTOMER, SCOPE_PASSWORD_CHANGE} and principal.customer_id:
        return principal
    raise NOT_ALLOWED.error()


def staff_with_role(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def dependency(principal: Caller) -> Principal:
        if SCOPE_STAFF in principal.scopes and role in principal.roles:
            return principal
        raise NOT_ALLOWED.error()

    return dependency


CurrentCustomer = Annotated[Principal, Depends(current_customer)]


async def _current_customer_id(customer: CurrentCustomer) -> str:
    assert customer.customer_id is not None  # current_customer guarantees it
    return customer.customer_id


CustomerId = Annotated[str, Depends(_current_customer_id)]
"""The id of the customer of a full session, for routes that need no more of the token."""
PasswordChanger = Annotated[Principal, Depends(password_changer)]
NOT_SIGNED_IN = (NO_TOKEN, INVALID_TOKEN)
"""What any of these dependencies may answer before looking at scopes, for `responses_for`."""


def identity_token_verifier(
    settings: ServiceSettings, clock: Clock, fetch_keys: KeyFetcher | None = None
) -> TokenVerifier:
    """How a service other than identity checks customers' and staff's tokens: against identity's
    JWKS (or `fetch_keys`, for tests), with the platform's issuer and audience."""
    return TokenVerifier(
        fetch_keys or jwks_fetcher(settings.identity_jwks_url),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        clock=clock,
    )
