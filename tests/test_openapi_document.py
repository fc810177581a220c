"""The one API document for app builders (GET /api/v1/openapi.json at the gateway) is what the
services' own routers generate, declares the bearer authentication and the one `{code, message}`
error shape, and matches what the real gateway routes: every documented operation reaches the
service that serves it, and every location the gateway passes on to a service is documented."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from devinfra.gateway import LocalGateway
from devinfra.openapi import published, rendered, service_documents
from devinfra.paths import local_dir, repo_root
from devinfra.testing import serve_http

ERROR_BODY = "#/components/schemas/ErrorBody"
VALIDATION_FAILED = "#/components/schemas/ValidationFailed"
TEMPLATE = repo_root() / "deploy" / "gateway" / "nginx.conf.template"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(published().read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def served_by() -> dict[tuple[str, str], str]:
    """(method, path) → the gateway upstream of the service that serves it."""
    return {
        (method.upper(), path): service
        for service, own in service_documents().items()
        for path, operations in own["paths"].items()
        for method in operations
    }


def an_address(path: str) -> str:
    """A documented path with its parameters filled in (every one is a single segment)."""
    return re.sub(r"\{[^/}]+\}", str(uuid.UUID(int=7)), path)


def stub(name: str) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, str]:
        return {"service": name, "method": request.method, "path": "/" + path}

    return app


@pytest.fixture(scope="module")
def gateway() -> Iterator[str]:
    """The real nginx with the real template and web root, each service a stub that says who
    it is; log-in and registration throttled loosely enough for one request per route."""
    state = local_dir() / f"test-openapi-{uuid.uuid4().hex[:8]}"
    with contextlib.ExitStack() as stack:
        upstreams = {
            name: stack.enter_context(serve_http(stub(name))).removeprefix("http://")
            for name in ("identity", "registration", "claim_status", "notifier")
        }
        running = LocalGateway(
            state, upstreams, sensitive_rate="600r/m", sensitive_burst=100
        ).start()
        stack.callback(shutil.rmtree, state, ignore_errors=True)
        stack.callback(running.stop)
        yield running.url


def test_the_published_document_is_what_the_services_generate() -> None:
    """If this fails: `.venv/bin/python -m devinfra.openapi` and commit web/openapi.json."""
    assert published().read_text(encoding="utf-8") == rendered()


def test_the_gateway_serves_the_document_as_json(gateway: str) -> None:
    response = httpx.get(gateway + "/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == json.loads(published().read_text(encoding="utf-8"))
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_documented_operation_reaches_its_service_through_the_gateway(
    gateway: str, served_by: dict[tuple[str, str], str]
) -> None:
    reached = {}
    for method, path in served_by:
        response = httpx.request(method, gateway + an_address(path))
        reached[(method, path)] = (
            response.json().get("service") if response.status_code == 200 else response.text
        )
    assert reached == served_by


def test_everything_the_gateway_passes_on_is_documented(document: dict[str, Any]) -> None:
    """Each location with a proxy_pass matches at least one documented path: nothing is routed
    to a service that app builders cannot read about."""
    addresses = [an_address(path) for path in document["paths"]]
    template = re.sub(r"\$\{[A-Z_]+\}", "placeholder", TEMPLATE.read_text())
    routed = re.findall(r"location\s+(=|~|)\s*(\S+)\s*\{[^}]*proxy_pass", template)
    assert ("=", "/api/v1/sessions") in routed
    undocumented = [
        (kind, pattern)
        for kind, pattern in routed
        if not any(_matches(kind, pattern, address) for address in addresses)
    ]
    assert undocumented == []


def _matches(kind: str, pattern: str, address: str) -> bool:
    if kind == "=":
        return address == pattern
    if kind == "~":
        return re.search(pattern, address) is not None
    return address.startswith(pattern)


def test_only_public_routes_are_documented(
    document: dict[str, Any], served_by: dict[tuple[str, str], str]
) -> None:
    assert document["openapi"].startswith("3.1.")
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented == set(served_by)
    assert not {"/healthz", "/readyz", "/metrics"} & set(document["paths"])


def test_routes_that_need_a_token_declare_the_bearer_authentication(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    bearer = schemes["bearerAuth"]
    assert (bearer["type"], bearer["scheme"], bearer["bearerFormat"]) == ("http", "bearer", "JWT")
    paths = document["paths"]

    def security(method: str, path: str) -> list[dict[str, list[str]]] | None:
        found: list[dict[str, list[str]]] | None = paths[path][method].get("security")
        return found

    for method, path in [
        ("get", "/api/v1/me"),
        ("put", "/api/v1/me/password"),
        ("delete", "/api/v1/sessions"),
        ("get", "/api/v1/me/accidents/{claim_id}"),
        ("post", "/api/v1/me/accidents/{claim_id}/documents"),
        ("post", "/api/v1/adjuster/claims/{claim_id}/updates"),
    ]:
        assert security(method, path) == [{"bearerAuth": []}], (method, path)
    for method, path in [
        ("post", "/api/v1/sessions"),
        ("post", "/api/v1/sessions/refresh"),
        ("post", "/api/v1/password-resets"),
        ("post", "/api/v1/registrations/procedure-code"),
        ("get", "/.well-known/jwks.json"),
    ]:
        assert security(method, path) is None, (method, path)
    account = security("post", "/api/v1/registrations/{registration_id}/account")
    assert account == [{"registrationToken": []}]
    for operations in paths.values():
        for operation in operations.values():
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes)
            if "bearerAuth" in str(operation.get("security")):
                assert "`unauthenticated`" in operation["responses"]["401"]["description"]


def test_every_refusal_is_the_one_error_shape(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["code", "message"]
    assert schemas["ValidationFailed"]["allOf"][0] == {"$ref": ERROR_BODY}
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas)
    refusals = {
        (path, method, status): response["content"]["application/json"]["schema"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if int(status) >= 400 and "content" in response
    }
    assert refusals
    odd = {
        where: schema
        for where, schema in refusals.items()
        if schema not in ({"$ref": ERROR_BODY}, {"$ref": VALIDATION_FAILED})
    }
    assert odd == {}


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    references = set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(document)))
    assert references
    assert references <= set(document["components"]["schemas"])
