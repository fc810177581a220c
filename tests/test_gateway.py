"""The nginx gateway, for real: routes each public path to its service, passes a request id that
the service receives, sets the security headers, throttles log-in and registration per client,
caps body sizes, serves the web front, and refuses in the services' {code, message} format."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from devinfra.gateway import LocalGateway
from devinfra.paths import free_port, local_dir
from devinfra.testing import serve_http


def stub(name: str) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, Any]:
        return {
            "service": name,
            "path": "/" + path,
            "request_id": request.headers.get("x-request-id"),
        }

    return app


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_http(stub(name))).removeprefix("http://")
            for name in ("identity", "registration", "claim_status")
        }


def gateway_dir() -> Path:
    """Under .local/, which nginx's unprivileged workers can read (pytest's tmp is 0700)."""
    path = local_dir() / f"test-gateway-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def gateway(upstreams: dict[str, str]) -> Iterator[str]:
    state = gateway_dir()
    web = state / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>お客さまWebサービス</title>")
    running = LocalGateway(
        state / "nginx", upstreams, web_root=web, sensitive_rate="30r/m", sensitive_burst=5
    ).start()
    yield running.url
    running.stop()
    shutil.rmtree(state, ignore_errors=True)


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("POST", "/api/v1/sessions/refresh", "identity"),
        ("GET", "/api/v1/me", "identity"),
        ("GET", "/api/v1/service-status", "identity"),
        ("PUT", "/api/v1/me/password", "identity"),
        ("GET", "/.well-known/jwks.json", "identity"),
        ("GET", "/api/v1/me/accidents", "claim_status"),
        ("GET", "/api/v1/me/accidents/CL-1", "claim_status"),
        ("POST", "/api/v1/adjuster/claims/CL-1/updates", "claim_status"),
    ],
)
def test_public_paths_reach_their_service_with_a_request_id(
    gateway: str, method: str, path: str, service: str
) -> None:
    response = httpx.request(method, gateway + path)
    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["path"]) == (service, path)
    assert body["request_id"] and body["request_id"] == response.headers["X-Request-ID"]


def test_security_headers_are_set(gateway: str) -> None:
    headers = httpx.get(gateway + "/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Server" not in headers or "nginx/" not in headers["Server"]


def test_the_web_front_is_served_for_any_page_path(gateway: str) -> None:
    for path in ("/", "/accidents/CL-1"):
        response = httpx.get(gateway + path)
        assert response.status_code == 200 and "お客さまWebサービス" in response.text


def test_unknown_api_paths_answer_in_the_error_format(gateway: str) -> None:
    response = httpx.get(gateway + "/api/v1/nothing-here")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_log_in_is_throttled_per_client(gateway: str) -> None:
    statuses = [httpx.post(gateway + "/api/v1/sessions").status_code for _ in range(12)]
    assert statuses[:6] == [200] * 6
    assert 429 in statuses
    refused = httpx.post(gateway + "/api/v1/password-resets")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_requests"
    assert refused.headers["Retry-After"] == "60"


def test_large_bodies_are_refused(gateway: str) -> None:
    response = httpx.put(gateway + "/api/v1/me/password", content=b"x" * 20_000)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_a_service_that_is_down_answers_503_in_the_error_format(upstreams: dict[str, str]) -> None:
    down = {**upstreams, "identity": f"127.0.0.1:{free_port()}"}
    state = gateway_dir()
    running = LocalGateway(state, down, web_root=state).start()
    try:
        response = httpx.get(running.url + "/api/v1/me")
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)
    assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")
