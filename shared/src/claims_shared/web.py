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
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

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
    The value lives in app.state under `name`, where tests may read it too.

    As a dependency it is a coroutine: FastAPI runs a plain `def` dependency in its thread pool,
    a thread hop per request for a getattr (a tenth of the accident list's time). Code that holds
    a request outside dependencies reads the value with `of`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def put(self, app: FastAPI, value: T) -> None:
        setattr(app.state, self.name, value)

    def of(self, request: Request) -> T:
        value: T = getattr(request.app.state, self.name)
        return value

    async def __call__(self, request: Request) -> T:
        return self.of(request)


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
    app.add_middleware(RequestContext, service=settings.service_name)
    app.include_router(_operations_router())
    for router in routers:
        app.include_router(router)
    return app


def request_time(request: Request) -> datetime:
    """Now, by the app's clock (injectable, so tests can move time), read once a request: the
    maintenance check, the route and an error's Retry-After all count from the same instant."""
    now: datetime | None = getattr(request.state, "now", None)
    if now is None:
        now = CLOCK.of(request)()
        request.state.now = now
    return now


async def _now(request: Request) -> datetime:
    """`request_time` as a dependency, on the event loop (a `def` one is a thread hop)."""
    return request_time(request)


async def _language(request: Request) -> str:
    """`request_language` as a dependency, on the event loop."""
    return request_language(request)


Now = Annotated[datetime, Depends(_now)]
Language = Annotated[str, Depends(_language)]
"""'ja' or 'en', as the caller's Accept-Language prefers."""

UNDER_MAINTENANCE = Refusal(503, "maintenance", MAINTENANCE)


async def outside_maintenance(request: Request) -> None:
    """Dependency for customer-facing routers: 503 with Retry-After inside the window. One
    dependency reading the request, not three (`Now` and the schedule as dependencies of their
    own): FastAPI spends some 10 µs of CPU on each dependency of each request (issue 19)."""
    retry_after = MAINTENANCE_SCHEDULE.of(request).retry_after_seconds(request_time(request))
    if retry_after is not None:
        raise UNDER_MAINTENANCE.error({"Retry-After": str(retry_after)})


class RequestContext:
    """Request ids bound for the logs, the request logged, counted and timed, X-Request-ID sent
    back. Pure ASGI: as `@app.middleware("http")` (Starlette's BaseHTTPMiddleware) it ran every
    request through a task group and memory streams, a sixth of the accident list's time."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        correlation = headers.get("x-correlation-id", "")
        structlog.contextvars.bind_contextvars(
            request_id=request_id,
            correlation_id=correlation if _SAFE_REQUEST_ID.match(correlation) else request_id,
        )
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: AsgiMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            structlog.contextvars.unbind_contextvars("request_id", "correlation_id")

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
        HTTP_LATENCY.labels(self.service, method, route).observe(elapsed)
        if route not in ("/healthz", "/readyz", "/metrics"):
            log.info(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )


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
