"""What every service holds open while it runs (a database pool and the event publisher) and how
it is served. Each service's composition root (main.py) builds on this."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import uvicorn
from fastapi import FastAPI

from claims_shared.database import create_pool, pool_ready
from claims_shared.kafka import EventPublisher
from claims_shared.logging import configure_logging
from claims_shared.settings import ServiceSettings


@dataclass
class ServiceResources:
    pool: asyncpg.Pool
    publisher: EventPublisher


@asynccontextmanager
async def open_resources(
    settings: ServiceSettings, app: FastAPI
) -> AsyncIterator[ServiceResources]:
    """Open the pool and the publisher, register them with /readyz, close them in reverse."""
    pool = await create_pool(settings.database_url, settings.database_pool_size)
    publisher = EventPublisher(settings.kafka_bootstrap_servers, settings.service_name)
    try:
        await publisher.start()
        app.state.readiness.update(database=pool_ready(pool), kafka=publisher.check_ready)
        yield ServiceResources(pool, publisher)
    finally:
        await publisher.stop()
        await pool.close()


def serve(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    """Run one service in the foreground (what `python -m <service>` does)."""
    configure_logging(settings.service_name, settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
