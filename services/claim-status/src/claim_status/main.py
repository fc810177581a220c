"""Composition root of the claim-status service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from claim_status.api import ERRORS, INTAKE, QUERIES, adjuster_router, customer_router
from claim_status.application import Claims
from claim_status.held_updates import HeldUpdateTable
from claim_status.intake import ClaimUpdateService, DeadLetters, HeldUpdates
from claim_status.integration import translate
from claim_status.operations import Sweeper
from claim_status.queries import ClaimQueries
from claim_status.read_model import ClaimReadModel
from claim_status.schema import SCHEMA
from claim_status.settings import ClaimStatusSettings
from claims_shared.auth import TOKEN_VERIFIER, KeyFetcher, TokenVerifier, jwks_fetcher
from claims_shared.clock import Clock, system_clock
from claims_shared.database import start_application
from claims_shared.events import topics
from claims_shared.migrations import migrate
from claims_shared.outbox import OutboxRelay
from claims_shared.projection import Projector
from claims_shared.service import Worker, open_resources, supervised
from claims_shared.settings import eventsourcing_env
from claims_shared.web import create_service_app


@dataclass(frozen=True)
class ClaimStatusPorts:
    """What the intake needs from outside: the lifespan passes the event store on PostgreSQL,
    the held_updates table and the Kafka publisher; the fast tests pass in-memory ones."""

    claims: Claims
    held: HeldUpdates
    publisher: DeadLetters


def wire(
    settings: ClaimStatusSettings, clock: Clock, ports: ClaimStatusPorts
) -> ClaimUpdateService:
    """The command handler both paths use, from its ports: no client is opened here."""
    return ClaimUpdateService(
        ports.claims,
        ports.held,
        ports.publisher,
        clock,
        timedelta(seconds=settings.hold_early_updates_seconds),
    )


def build(
    settings: ClaimStatusSettings, clock: Clock = system_clock, fetch_keys: KeyFetcher | None = None
) -> FastAPI:
    """`fetch_keys` defaults to identity's JWKS over HTTP; tests pass their own key set."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, app) as resources:
            claims = await start_application(
                resources.pool,
                lambda: Claims(
                    env={
                        **eventsourcing_env(settings.database_url),
                        "AGGREGATE_CACHE_MAXSIZE": str(settings.claim_cache_size),
                        "CREATE_TABLE": "n" if settings.read_only else "y",
                    }
                ),
            )
            read_model = ClaimReadModel(settings.read_model_version)
            projector = Projector(
                application=claims, read_model=read_model, pool=resources.pool, idle_wait=0.2
            )
            if not settings.read_only:  # a replica refuses DDL, even IF NOT EXISTS
                await migrate(SCHEMA, settings.database_url)
                await read_model.create_table(resources.pool)
            ports = ClaimStatusPorts(claims, HeldUpdateTable(resources.pool), resources.publisher)
            intake = wire(settings, clock, ports)
            INTAKE.put(app, intake)
            QUERIES.put(app, ClaimQueries(resources.pool, read_model))
            TOKEN_VERIFIER.put(
                app,
                TokenVerifier(
                    fetch_keys or jwks_fetcher(settings.identity_jwks_url),
                    issuer=settings.token_issuer,
                    audience=settings.token_audience,
                    clock=clock,
                ),
            )
            available: dict[str, Worker] = {
                "projection": projector,
                "relay": OutboxRelay(
                    application=claims,
                    translate=translate,
                    publisher=resources.publisher,
                    pool=resources.pool,
                    producer=settings.service_name,
                ),
                "consumer": resources.consumer(
                    [topics.ADJUSTER_UPDATES], intake.routes(), max_records=500
                ),
                "sweeper": Sweeper(
                    intake, resources.pool, read_model, settings.sweep_interval_seconds
                ),
            }
            workers = [available[name] for name in settings.workers]
            async with supervised(workers):
                yield
            claims.close()

    return create_service_app(
        settings=settings,
        routers=[customer_router, adjuster_router],
        lifespan=lifespan,
        clock=clock,
        errors=ERRORS,
    )


def create_app() -> FastAPI:
    """For `uvicorn --factory claim_status.main:create_app`."""
    return build(ClaimStatusSettings())
