"""What every service holds open while it runs (a database pool and the event publisher) and how
it is served. Each service's composition root (main.py) builds on this."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

import asyncpg
import uvicorn
from fastapi import FastAPI
from prometheus_client import Counter

from claims_shared.database import create_pool, pool_ready
from claims_shared.kafka import ConsumerRunner, Dispatch, EventPublisher
from claims_shared.logging import configure_logging, get_logger
from claims_shared.runtime import prepare_for_serving
from claims_shared.settings import ServiceSettings

log = get_logger(__name__)

WORKER_RESTARTS = Counter("worker_restarts_total", "Background workers restarted", ["worker"])


@dataclass
class ServiceResources:
    settings: ServiceSettings
    pool: asyncpg.Pool
    publisher: EventPublisher

    def consumer(
        self,
        topics: list[str],
        routes: Dispatch,
        *,
        max_records: int = 200,
        retry_backoff: float = 0.5,
        max_attempts: int | None = None,
        transient: tuple[type[BaseException], ...] = (),
    ) -> ConsumerRunner:
        """A consumer runner in this service's group, with its prefix and DLQ publisher, that
        hands the events of `topics` to the handlers of `routes` (see ConsumerRunner)."""
        return ConsumerRunner(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.settings.consumer_group,
            topics=topics,
            routes=routes,
            publisher=self.publisher,
            max_records=max_records,
            retry_backoff=retry_backoff,
            max_attempts=max_attempts,
            transient=transient,
        )


@asynccontextmanager
async def open_resources(
    settings: ServiceSettings, app: FastAPI
) -> AsyncIterator[ServiceResources]:
    """Open the pool and the publisher, register them with /readyz, close them in reverse."""
    pool = await create_pool(settings.database_url, settings.database_pool_size)
    publisher = EventPublisher(
        settings.kafka_bootstrap_servers,
        settings.service_name,
        settings.kafka_topic_prefix,
        settings.kafka_options(),
    )
    try:
        await publisher.start()
        app.state.readiness.update(database=pool_ready(pool), kafka=publisher.check_ready)
        yield ServiceResources(settings, pool, publisher)
    finally:
        await publisher.stop()
        await pool.close()


S = TypeVar("S", bound=ServiceSettings)


def serve(create_app: Callable[[S], FastAPI], settings: S) -> None:
    """Run one service in the foreground (what `python -m <service>` does)."""
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    app = create_app(settings)
    prepare_for_serving()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


class Worker(Protocol):
    """A consumer runner, relay or projector: runs until stopped."""

    name: str

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def supervised(workers: list[Worker], restart_delay: float = 2.0) -> AsyncIterator[None]:
    """Run background workers beside the API. A worker that fails (its database restarting, the
    broker away) is logged and restarted after a pause, never left dead while the API answers."""
    stopping = asyncio.Event()

    async def keep_running(worker: Worker) -> None:
        while not stopping.is_set():
            try:
                await worker.run()
            except Exception as error:
                log.error("worker failed; restarting", worker=worker.name, error=repr(error))
                WORKER_RESTARTS.labels(worker.name).inc()
                await asyncio.sleep(restart_delay)

    tasks = [asyncio.create_task(keep_running(w), name=w.name) for w in workers]
    try:
        yield
    finally:
        stopping.set()
        for worker in workers:
            worker.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
