"""Composition root of the identity service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from claims_shared.auth import TOKEN_VERIFIER, TokenVerifier
from claims_shared.clock import Clock, system_clock
from claims_shared.database import start_application
from claims_shared.events import topics
from claims_shared.migrations import migrate
from claims_shared.outbox import OutboxRelay
from claims_shared.passwords import usable_cores
from claims_shared.projection import Projector
from claims_shared.service import Worker, open_resources, supervised
from claims_shared.settings import eventsourcing_env
from claims_shared.throttle import FailureLog, FailureRecords
from claims_shared.web import create_service_app, request_time
from identity.api import (
    ACCOUNTS,
    ERRORS,
    JWKS,
    SESSION_COOKIE,
    SIGN_IN,
    SessionCookie,
    customer_router,
    public_router,
)
from identity.application import Accounts
from identity.integration import registration_routes, translate
from identity.known_devices import KnownDevices
from identity.live_session import LIVE_SESSIONS
from identity.lookup import AccountEmailLookup, AccountEmails
from identity.passkey_api import PASSKEY_ERRORS, PASSKEYS, passkeys_router
from identity.passkey_store import Challenges, Passkeys
from identity.passkeys import ChallengeStore, PasskeyService, PasskeyStore, RelyingParty
from identity.recent_sign_in import RECENT_SIGN_IN, RecentSignIn
from identity.schema import SCHEMA
from identity.sessions import RefreshTokens
from identity.settings import IdentitySettings
from identity.sign_in import (
    AccountsByEmail,
    DeviceRecognition,
    KeyRing,
    RefreshTokenStore,
    SignInService,
)
from identity.tokens import SigningKeys, TokenSettings


@dataclass(frozen=True)
class IdentityPorts:
    """What the application objects need from outside: the lifespan opens PostgreSQL-backed
    ones (`open_ports`), the fast tests pass in-memory ones (tests/fast)."""

    accounts: Accounts
    emails: AccountsByEmail
    keys: KeyRing
    refresh_tokens: RefreshTokenStore
    failures: FailureRecords
    devices: DeviceRecognition
    passkeys: PasskeyStore
    challenges: ChallengeStore


PortsOpener = Callable[
    [IdentitySettings, Clock, FastAPI],
    AbstractAsyncContextManager[tuple[IdentityPorts, list[Worker]]],
]


def wire(settings: IdentitySettings, ports: IdentityPorts) -> SignInService:
    """The application object the API serves, from its ports: no client is opened here."""
    return SignInService(
        accounts=ports.accounts,
        emails=ports.emails,
        keys=ports.keys,
        refresh_tokens=ports.refresh_tokens,
        tokens=token_settings(settings),
        policy=settings.lockout_policy,
        failures=ports.failures,
        temporary_password_lifetime=timedelta(hours=settings.temporary_password_hours),
        reset_interval=timedelta(seconds=settings.password_reset_min_interval_seconds),
        notifier_public_key=settings.notifier_sealing_public_key,
        reset_answer_time=timedelta(seconds=settings.password_reset_answer_seconds),
        devices=ports.devices,
        hashing=ThreadPoolExecutor(max_workers=usable_cores(), thread_name_prefix="log-in-hash"),
    )


def passkey_service(settings: IdentitySettings, ports: IdentityPorts) -> PasskeyService:
    relying_party = RelyingParty(
        rp_id=settings.webauthn_rp_id,
        name=settings.webauthn_rp_name,
        origins=settings.webauthn_origins,
        challenge_lifetime=timedelta(seconds=settings.webauthn_challenge_seconds),
    )
    return PasskeyService(relying_party, ports.passkeys, ports.challenges)


def token_settings(settings: IdentitySettings) -> TokenSettings:
    return TokenSettings(
        settings.token_issuer,
        settings.token_audience,
        timedelta(seconds=settings.access_token_seconds),
    )


@asynccontextmanager
async def open_ports(
    settings: IdentitySettings, clock: Clock, app: FastAPI
) -> AsyncIterator[tuple[IdentityPorts, list[Worker]]]:
    """The real resources: the database pool and the publisher, the tables, the event store, and
    the workers that run beside the API (projection, outbox relay, registration consumer)."""
    async with open_resources(settings, app) as resources:
        await migrate(SCHEMA, settings.database_url)
        accounts = await start_application(
            resources.pool, lambda: Accounts(env=eventsourcing_env(settings.database_url))
        )
        keys = SigningKeys(
            resources.pool, settings.key_encryption_key, settings.previous_key_encryption_key
        )
        await keys.ensure_active(clock())
        refresh_tokens = RefreshTokens(resources.pool, timedelta(days=settings.refresh_token_days))
        failures = FailureLog(resources.pool)
        projector = Projector(
            application=accounts, read_model=AccountEmails(), pool=resources.pool, idle_wait=0.2
        )
        workers: list[Worker] = [
            projector,
            OutboxRelay(
                application=accounts,
                translate=translate(accounts),
                publisher=resources.publisher,
                pool=resources.pool,
                producer=settings.service_name,
            ),
            resources.consumer([topics.REGISTRATION_EVENTS], registration_routes(accounts)),
        ]
        ports = IdentityPorts(
            accounts=accounts,
            emails=AccountEmailLookup(resources.pool, accounts),
            keys=keys,
            refresh_tokens=refresh_tokens,
            failures=failures,
            devices=KnownDevices(resources.pool),
            passkeys=Passkeys(resources.pool),
            challenges=Challenges(resources.pool),
        )
        yield ports, workers
        accounts.close()


def build(
    settings: IdentitySettings, clock: Clock = system_clock, ports: PortsOpener = open_ports
) -> FastAPI:
    """`ports` opens the real resources unless a test passes in-memory ones."""
    lifetime = token_settings(settings).lifetime

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ports(settings, clock, app) as (opened, workers):
            keys = opened.keys

            async def jwks() -> dict[str, Any]:
                return await keys.jwks(clock(), lifetime)

            JWKS.put(app, jwks)
            TOKEN_VERIFIER.put(
                app,
                TokenVerifier(
                    jwks,
                    issuer=settings.token_issuer,
                    audience=settings.token_audience,
                    refresh_interval=5,
                    clock=clock,
                ),
            )
            SIGN_IN.put(app, wire(settings, opened))
            ACCOUNTS.put(app, opened.accounts)
            SESSION_COOKIE.put(app, SessionCookie(opened.refresh_tokens.lifetime))
            PASSKEYS.put(app, passkey_service(settings, opened))
            LIVE_SESSIONS.put(app, opened.refresh_tokens)
            RECENT_SIGN_IN.put(
                app, RecentSignIn(timedelta(seconds=settings.recent_sign_in_seconds))
            )
            async with supervised(workers):
                yield

    app = create_service_app(
        settings=settings,
        routers=[customer_router, passkeys_router, public_router],
        lifespan=lifespan,
        clock=clock,
        errors=ERRORS,
    )
    PASSKEY_ERRORS.install(app, request_time)
    return app


def create_app() -> FastAPI:
    """For `uvicorn --factory identity.main:create_app`."""
    return build(IdentitySettings())
