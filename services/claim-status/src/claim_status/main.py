"""Composition root of the claim-status service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from claim_status.api import (
    CORRESPONDENCE,
    ERRORS,
    INTAKE,
    QUERIES,
    adjuster_router,
    customer_router,
)
from claim_status.application import Claims
from claim_status.correspondence import Correspondence, CorrespondenceReadModel
from claim_status.correspondence import translate as translate_correspondence
from claim_status.deadline_watch import DeadlineWatch
from claim_status.deadlines import load_terms
from claim_status.document_ports import ClamdScanner, S3ObjectStore
from claim_status.documents import DocumentRows
from claim_status.documents_api import DOCUMENT_ERRORS, DOCUMENTS, READ_ONLY_INSTANCE
from claim_status.documents_api import adjuster_router as documents_adjuster_router
from claim_status.documents_api import customer_router as documents_router
from claim_status.held_updates import HeldUpdateTable
from claim_status.history import ClaimHistory
from claim_status.intake import ClaimUpdateService, DeadLetters, HeldUpdates
from claim_status.integration import translate
from claim_status.messages import MessageService, ThreadRows
from claim_status.messages_api import MESSAGE_ERRORS, MESSAGES
from claim_status.messages_api import router as messages_router
from claim_status.operations import Sweeper
from claim_status.queries import ClaimQueries
from claim_status.read_model import ClaimReadModel
from claim_status.schema import SCHEMA
from claim_status.settings import ClaimStatusSettings
from claim_status.typical_durations import TypicalDurations
from claim_status.uploads import DocumentService, UploadLimits
from claims_shared.auth import TOKEN_VERIFIER, KeyFetcher, identity_token_verifier
from claims_shared.clock import Clock, system_clock
from claims_shared.database import start_application
from claims_shared.errors import Message
from claims_shared.events import topics
from claims_shared.migrations import migrate
from claims_shared.outbox import OutboxRelay
from claims_shared.projection import Projector
from claims_shared.service import Worker, open_resources, supervised
from claims_shared.settings import eventsourcing_env
from claims_shared.web import create_service_app, request_time


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
    """`fetch_keys` defaults to identity's JWKS over HTTP; tests pass their own key set. The
    payment terms are read here, so a file that cannot be used stops the start."""
    terms = load_terms(settings.payment_terms_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = S3ObjectStore(
            settings.object_store_url,
            settings.object_store_bucket,
            settings.object_store_access_key,
            settings.object_store_secret_key,
            settings.object_store_region,
        )
        async with open_resources(settings, app) as resources, store.opened():
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
            correspondence = await start_application(
                resources.pool,
                lambda: Correspondence(
                    env={
                        **eventsourcing_env(settings.database_url),
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
            CORRESPONDENCE.put(app, correspondence)
            typical = TypicalDurations(
                resources.pool,
                window_days=settings.typical_window_days,
                min_claims=settings.typical_min_claims,
            )
            queries = ClaimQueries(
                resources.pool, read_model, typical, ClaimHistory(resources.pool, claims), terms
            )
            QUERIES.put(app, queries)
            READ_ONLY_INSTANCE.put(app, settings.read_only)
            DOCUMENTS.put(
                app,
                DocumentService(
                    correspondence=correspondence,
                    store=store,
                    scanner=ClamdScanner(settings.clamd_address, settings.clamd_timeout_seconds),
                    claims=queries,
                    records=queries.documents,
                    clock=clock,
                    limits=UploadLimits(
                        max_bytes=settings.max_upload_bytes,
                        max_files_per_request=settings.max_files_per_request,
                        per_hour=settings.uploads_per_hour,
                    ),
                ),
            )
            MESSAGES.put(
                app,
                MessageService(
                    resources.pool,
                    correspondence,
                    read_model,
                    Message(settings.handler_office_hours, settings.handler_office_hours_en),
                    settings.messages_per_hour,
                    records_reads=not settings.read_only,
                ),
            )
            TOKEN_VERIFIER.put(app, identity_token_verifier(settings, clock, fetch_keys))
            # Each application's projection and relay run in the worker of that name: they are
            # single followers of their event store, so they move together.
            available: dict[str, list[Worker]] = {
                "projection": [
                    projector,
                    Projector(
                        application=correspondence,
                        read_model=CorrespondenceReadModel([DocumentRows(), ThreadRows()]),
                        pool=resources.pool,
                        idle_wait=0.2,
                    ),
                ],
                "relay": [
                    OutboxRelay(
                        application=application,
                        translate=translating,
                        publisher=resources.publisher,
                        pool=resources.pool,
                        producer=settings.service_name,
                        translate_blocks=False,  # both translates only compute
                    )
                    for application, translating in (
                        (claims, translate),
                        (correspondence, translate_correspondence),
                    )
                ],
                "consumer": [
                    resources.consumer([topics.ADJUSTER_UPDATES], intake.routes(), max_records=500)
                ],
                "sweeper": [
                    Sweeper(
                        intake,
                        resources.pool,
                        read_model,
                        settings.sweep_interval_seconds,
                        DeadlineWatch(
                            resources.pool,
                            read_model,
                            terms,
                            settings.deadline_warning_days,
                            clock,
                        ),
                    )
                ],
            }
            workers = [worker for name in settings.workers for worker in available[name]]
            async with supervised(workers):
                yield
            claims.close()
            correspondence.close()

    app = create_service_app(
        settings=settings,
        routers=[
            customer_router,
            messages_router,
            documents_router,
            adjuster_router,
            documents_adjuster_router,
        ],
        lifespan=lifespan,
        clock=clock,
        errors=ERRORS,
    )
    MESSAGE_ERRORS.install(app, request_time)
    DOCUMENT_ERRORS.install(app, request_time)
    return app


def create_app() -> FastAPI:
    """For `uvicorn --factory claim_status.main:create_app`."""
    return build(ClaimStatusSettings())
