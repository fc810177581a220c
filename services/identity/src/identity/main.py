"""Composition root of the identity service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from claims_shared.auth import TokenVerifier
from claims_shared.clock import Clock, system_clock
from claims_shared.database import start_application
from claims_shared.events import topics
from claims_shared.outbox import OutboxRelay
from claims_shared.projection import Projector
from claims_shared.service import Worker, open_resources, supervised
from claims_shared.settings import eventsourcing_env
from claims_shared.throttle import FailureLog
from claims_shared.web import create_service_app
from identity.api import customer_router, public_router
from identity.application import Accounts
from identity.integration import registration_handler, translate
from identity.lookup import AccountEmails
from identity.sessions import RefreshTokens
from identity.settings import IdentitySettings
from identity.sign_in import SignIn
from identity.tokens import SigningKeys, TokenSettings


def build(settings: IdentitySettings, clock: Clock = system_clock) -> FastAPI:
    token_settings = TokenSettings(
        settings.token_issuer,
        settings.token_audience,
        timedelta(seconds=settings.access_token_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, app) as resources:
            accounts = await start_application(
                resources.pool, lambda: Accounts(env=eventsourcing_env(settings.database_url))
            )
            keys = SigningKeys(resources.pool, settings.key_encryption_key)
            await keys.create_table()
            await keys.ensure_active(clock())
            refresh_tokens = RefreshTokens(
                resources.pool, timedelta(days=settings.refresh_token_days)
            )
            await refresh_tokens.create_table()
            failures = FailureLog(resources.pool)
            await failures.create_table()
            projector = Projector(
                application=accounts, read_model=AccountEmails(), pool=resources.pool, idle_wait=0.2
            )
            await projector.load_position()  # creates the read model's tables

            async def jwks() -> dict[str, Any]:
                return await keys.jwks(clock(), token_settings.lifetime)

            app.state.jwks = jwks
            app.state.token_verifier = TokenVerifier(
                jwks,
                issuer=settings.token_issuer,
                audience=settings.token_audience,
                refresh_interval=5,
                clock=clock,
            )
            app.state.sign_in = SignIn(
                accounts=accounts,
                pool=resources.pool,
                keys=keys,
                refresh_tokens=refresh_tokens,
                tokens=token_settings,
                policy=settings.lockout_policy,
                failures=failures,
                temporary_password_lifetime=timedelta(hours=settings.temporary_password_hours),
                reset_interval=timedelta(seconds=settings.password_reset_min_interval_seconds),
                notifier_public_key=settings.notifier_sealing_public_key,
                reset_answer_time=timedelta(seconds=settings.password_reset_answer_seconds),
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
                resources.consumer([topics.REGISTRATION_EVENTS], registration_handler(accounts)),
            ]
            async with supervised(workers):
                yield
            accounts.close()

    return create_service_app(
        settings=settings, routers=[customer_router, public_router], lifespan=lifespan, clock=clock
    )


def create_app() -> FastAPI:
    """For `uvicorn --factory identity.main:create_app`."""
    return build(IdentitySettings())
