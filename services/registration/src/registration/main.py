"""Composition root of the registration service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from claims_shared.clock import Clock, system_clock
from claims_shared.database import create_schema, start_application
from claims_shared.events import topics
from claims_shared.idempotency import ensure_processed_events_table
from claims_shared.outbox import OutboxRelay
from claims_shared.service import Worker, open_resources, supervised
from claims_shared.settings import eventsourcing_env
from claims_shared.throttle import FailureLog, LockoutPolicy
from claims_shared.web import create_service_app
from registration.api import router
from registration.application import Registrations
from registration.integration import translate
from registration.journeys import Journeys
from registration.policies import POLICIES_DDL, policy_records_handler
from registration.settings import RegistrationSettings


def build(settings: RegistrationSettings, clock: Clock = system_clock) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, app) as resources:
            registrations = await start_application(
                resources.pool,
                lambda: Registrations(env=eventsourcing_env(settings.database_url)),
            )
            await create_schema(resources.pool, POLICIES_DDL)
            await ensure_processed_events_table(resources.pool)
            failures = FailureLog(resources.pool)
            await failures.create_table()
            app.state.journeys = Journeys(
                registrations=registrations,
                pool=resources.pool,
                failures=failures,
                code_policy=LockoutPolicy(
                    throttle_after=settings.code_throttle_after_failures,
                    lock_after=settings.code_lock_after_failures,
                    lock_for=timedelta(minutes=settings.code_lock_minutes),
                ),
                token_lifetime=timedelta(minutes=settings.registration_token_minutes),
                temporary_password_lifetime=timedelta(hours=settings.temporary_password_hours),
                notifier_public_key=settings.notifier_sealing_public_key,
            )
            workers: list[Worker] = [
                OutboxRelay(
                    application=registrations,
                    translate=translate,
                    publisher=resources.publisher,
                    pool=resources.pool,
                    producer=settings.service_name,
                ),
                resources.consumer([topics.POLICY_RECORDS], policy_records_handler(resources.pool)),
            ]
            async with supervised(workers):
                yield
            registrations.close()

    return create_service_app(settings=settings, routers=[router], lifespan=lifespan, clock=clock)


def create_app() -> FastAPI:
    """For `uvicorn --factory registration.main:create_app`."""
    return build(RegistrationSettings())
