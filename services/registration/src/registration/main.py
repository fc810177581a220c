"""Composition root of the registration service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from claims_shared.clock import Clock, system_clock
from claims_shared.database import start_application
from claims_shared.events import topics
from claims_shared.migrations import migrate
from claims_shared.outbox import OutboxRelay
from claims_shared.service import Worker, open_resources, supervised
from claims_shared.settings import eventsourcing_env
from claims_shared.throttle import FailureLog, FailureRecords, LockoutPolicy
from claims_shared.web import create_service_app
from registration.api import ERRORS, JOURNEYS, router
from registration.application import Registrations
from registration.integration import translate
from registration.journeys import PolicyBook, RegistrationService
from registration.policies import PolicyTable, policy_record_routes
from registration.schema import SCHEMA
from registration.settings import RegistrationSettings


@dataclass(frozen=True)
class RegistrationPorts:
    """What the journeys need from outside: the lifespan opens PostgreSQL-backed ones
    (`open_ports`), the fast tests pass in-memory ones (tests/fast)."""

    registrations: Registrations
    policies: PolicyBook
    failures: FailureRecords


PortsOpener = Callable[
    [RegistrationSettings, FastAPI],
    AbstractAsyncContextManager[tuple[RegistrationPorts, list[Worker]]],
]


def wire(settings: RegistrationSettings, ports: RegistrationPorts) -> RegistrationService:
    """The application object the API serves, from its ports: no client is opened here."""
    return RegistrationService(
        registrations=ports.registrations,
        policies=ports.policies,
        failures=ports.failures,
        code_policy=LockoutPolicy(
            throttle_after=settings.code_throttle_after_failures,
            lock_after=settings.code_lock_after_failures,
            lock_for=timedelta(minutes=settings.code_lock_minutes),
        ),
        token_lifetime=timedelta(minutes=settings.registration_token_minutes),
        temporary_password_lifetime=timedelta(hours=settings.temporary_password_hours),
        notifier_public_key=settings.notifier_sealing_public_key,
    )


@asynccontextmanager
async def open_ports(
    settings: RegistrationSettings, app: FastAPI
) -> AsyncIterator[tuple[RegistrationPorts, list[Worker]]]:
    """The real resources: the database pool and the publisher, the tables, the event store, and
    the workers that run beside the API (outbox relay, policy records consumer)."""
    async with open_resources(settings, app) as resources:
        await migrate(SCHEMA, settings.database_url)
        registrations = await start_application(
            resources.pool,
            lambda: Registrations(env=eventsourcing_env(settings.database_url)),
        )
        failures = FailureLog(resources.pool)
        workers: list[Worker] = [
            OutboxRelay(
                application=registrations,
                translate=translate,
                publisher=resources.publisher,
                pool=resources.pool,
                producer=settings.service_name,
            ),
            resources.consumer([topics.POLICY_RECORDS], policy_record_routes(resources.pool)),
        ]
        yield RegistrationPorts(registrations, PolicyTable(resources.pool), failures), workers
        registrations.close()


def build(
    settings: RegistrationSettings, clock: Clock = system_clock, ports: PortsOpener = open_ports
) -> FastAPI:
    """`ports` opens the real resources unless a test passes in-memory ones."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ports(settings, app) as (opened, workers):
            JOURNEYS.put(app, wire(settings, opened))
            async with supervised(workers):
                yield

    return create_service_app(
        settings=settings, routers=[router], lifespan=lifespan, clock=clock, errors=ERRORS
    )


def create_app() -> FastAPI:
    """For `uvicorn --factory registration.main:create_app`."""
    return build(RegistrationSettings())
