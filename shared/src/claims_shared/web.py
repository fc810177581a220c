"""The FastAPI app factory every service uses: /healthz, /readyz, /metrics, the JSON error format
and the service's error table, request logging with request ids, the maintenance window for
customer-facing routers, and the typed dependencies routes take (`Now`, `Language`, `Wired`)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Annotated, Generic, TypeVar

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from claims_shared.clock import Clock, system_clock
from claims_shared.errors import (
    ErrorTable,
    Message,
    Refusal,
    install_error_handlers,
    request_language,
)
from claims_shared.logging import get_logger
from claims_shared.maintenance import MaintenanceSchedule
from claims_shared.settings import ServiceSettings
from claims_shared.unsafe_input import RefuseUnsafeCharacters

log = get_logger(__name__)

ReadinessCheck = Callable[[], Awaitable[object]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

MAINTENANCE = Message(
    "ただいまメンテナンス中のため、ご利用いただけません。メンテナンス終了後に改めてお試しください。",
    "The service is under scheduled maintenance. Please try again when it has ended.",
)

T = TypeVar("T")


class Wired(Generic[T]):
    """Something the composition root builds and routes take as a dependency: main.py calls
    `SIGN_IN.put(app, sign_in)`, a route names `Annotated[SignInService, Depends(SIGN_IN)]`.
    The value lives in app.state under `name`, where tests may read it too."""

    def __init__(self, name: str) -> None:
        self.name = name

    def put(self, app: FastAPI, value: T) -> None:
        setattr(app.state, self.name, value)

    def __call__(self, request: Request) -> T:
        value: T = getattr(request.app.state, self.name)
        return value


CLOCK = Wired[Clock]("clock")
MAINTENANCE_SCHEDULE = Wired[MaintenanceSchedule]("maintenance")
READINESS = Wired[dict[str, ReadinessCheck]]("readiness")


def create_service_app(
    *,
    settings: ServiceSettings,
    routers: Sequence[APIRouter] = (),
    readiness: Mapping[str, ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
    clock: Clock = system_clock,
    errors: ErrorTable | None = None,
    version: str = "1.0.0",
) -> FastAPI:
    """`errors` is the service's table of its own exceptions and their answers."""
    app = FastAPI(
        title=f"claims-status {settings.service_name}",
        version=version,
        lifespan=lifespan,
        # No 307 to the address without the slash: its Location was built from the client's
        # Host header (an open redirect behind the gateway) and it was not {code, message}.
        redirect_slashes=False,
    )
    MAINTENANCE_SCHEDULE.put(
        app, MaintenanceSchedule.parse(settings.maintenance_windows, settings.maintenance_timezone)
    )
    CLOCK.put(app, clock)
    READINESS.put(app, dict(readiness or {}))
    install_error_handlers(app)
    if errors is not None:
        errors.install(app, request_time)
    app.add_middleware(RefuseUnsafeCharacters)  # inside the request context: it is logged
    _install_request_context(app, settings.service_name)
    app.include_router(_operations_router())
    for router in routers:
        app.include_router(router)
    return app


def request_time(request: Request) -> datetime:
    """Now, by the app's clock (injectable, so tests can move time), read once a request: the
    maintenance check, the route and an error's Retry-After all count from the same instant."""
    now: datetime | None = getattr(request.state, "now", None)
    if now is None:
        now = CLOCK(request)()
        request.state.now = now
    return now


Now = Annotated[datetime, Depends(request_time)]
Language = Annotated[str, Depends(request_language)]
"""'ja' or 'en', as the caller's Accept-Language prefers."""

UNDER_MAINTENANCE = Refusal(503, "maintenance", MAINTENANCE)


async def outside_maintenance(
    now: Now, schedule: Annotated[MaintenanceSchedule, Depends(MAINTENANCE_SCHEDULE)]
) -> None:
    """Dependency for customer-facing routers: 503 with Retry-After inside the window."""
    retry_after = schedule.retry_after_seconds(now)
    if retry_after is not None:
        raise UNDER_MAINTENANCE.error({"Retry-After": str(retry_after)})


def _install_request_context(app: FastAPI, service: str) -> None:
    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        correlation = request.headers.get("x-correlation-id", "")
        structlog.contextvars.bind_contextvars(
            request_id=request_id,
            correlation_id=correlation if _SAFE_REQUEST_ID.match(correlation) else request_id,
        )
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(request.scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(service, request.method, route, str(status)).inc()
            HTTP_LATENCY.labels(service, request.method, route).observe(elapsed)
            if route not in ("/healthz", "/readyz", "/metrics"):
                log.info(
                    "request",
                    method=request.method,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")
        response.headers["X-Request-ID"] = request_id
        return response


def _operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers. Dependencies are /readyz's business."""
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"description": "a dependency is not ready"}})
    async def readyz(
        checks: Annotated[Mapping[str, ReadinessCheck], Depends(READINESS)],
    ) -> JSONResponse:
        results = dict(
            zip(checks, await asyncio.gather(*map(_check, checks.values())), strict=True)
        )
        ready = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


READINESS_TIMEOUT = 2.0


async def _check(check: ReadinessCheck) -> str:
    try:
        await asyncio.wait_for(check(), READINESS_TIMEOUT)
        return "ok"
    except Exception as error:
        return f"failed: {type(error).__name__}"
