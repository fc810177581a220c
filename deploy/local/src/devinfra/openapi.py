"""The one API document for app builders, served by the gateway at /api/v1/openapi.json: the
public routes of every service in one OpenAPI 3.1 document, merged from each service's own
(its app built with its real routers, without starting the lifespan, so nothing is connected).

`python -m devinfra.openapi` writes web/openapi.json (the gateway serves it from the web root);
tests/test_openapi_document.py fails until the committed file is what this writes. It lives in
devinfra rather than claims_shared because it imports every service's composition root, and the
services import claims_shared, never the other way round.

What the merge adds to the services' own documents: the bearer authentication (`bearerAuth`,
identity's JWT access token, on every route that verifies one; `registrationToken` on the
registration step that takes the first step's token), and the 422 every service really answers
(`validation_failed` with the refused fields, on the shared ErrorBody) in place of FastAPI's
`{detail}`. Schemas of the same name in two services are kept once when they are equal and
prefixed with the service's name when they are not.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from claim_status.main import build as build_claim_status
from claim_status.settings import ClaimStatusSettings
from claims_shared.auth import TOKEN_VERIFIER
from devinfra.paths import repo_root
from identity.main import build as build_identity
from identity.settings import IdentitySettings
from notifier.main import build as build_notifier
from notifier.settings import NotifierSettings
from registration import api as registration_api
from registration.main import build as build_registration
from registration.settings import RegistrationSettings

Document = dict[str, Any]

OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics"})
"""The app factory's routes for probes and Prometheus: the gateway does not route them."""

SERVICES: Mapping[str, Callable[[], FastAPI]] = {
    "identity": lambda: build_identity(IdentitySettings()),
    "registration": lambda: build_registration(RegistrationSettings()),
    "claim_status": lambda: build_claim_status(ClaimStatusSettings()),
    "notifier": lambda: build_notifier(NotifierSettings()),
}
"""Each service's app as its composition root builds it; the keys are the gateway's upstreams."""

SECURITY_SCHEMES: Document = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The access_token that POST /api/v1/sessions (log-in) and POST"
        " /api/v1/sessions/refresh answer, as `Authorization: Bearer <access_token>`. A missing"
        " token answers 401 `unauthenticated`, an expired or forged one 401 `invalid_token`.",
    },
    "registrationToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The registration_token that POST /api/v1/registrations/procedure-code"
        " answered, for the registration it started only.",
    },
}
_SCHEME_OF: Mapping[Callable[..., Any], str] = {
    TOKEN_VERIFIER: "bearerAuth",
    registration_api._registration_token: "registrationToken",
}
"""The dependency a route takes to read each kind of token: a route whose dependencies include
one of these needs that token."""

_VALIDATION: Document = {
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": "e.g. `email` or `kinds.status_changed`"},
            "code": {"type": "string", "description": "e.g. `missing`, `string_too_long`"},
            "message": {"type": "string", "description": "in the request's language"},
        },
        "required": ["field", "code", "message"],
    },
    "ValidationFailed": {
        "title": "ValidationFailed",
        "description": "`validation_failed`: the request's fields were refused, each in `errors`.",
        "allOf": [
            {"$ref": "#/components/schemas/ErrorBody"},
            {
                "type": "object",
                "properties": {
                    "errors": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/FieldError"},
                    }
                },
                "required": ["errors"],
            },
        ],
    },
}
_FASTAPI_VALIDATION = {
    "HTTPValidationError": "ValidationFailed",
    "ValidationError": "FieldError",
}

INFO: Document = {
    "title": "claims-status public API",
    "version": "1.0.0",
    "description": "The routes the gateway serves to the web front, the app and the adjusters'"
    " systems, under the gateway's own address (e.g. http://127.0.0.1:8080 locally).\n\n"
    "Every refusal is `{code, message}` (ErrorBody): `code` is stable for programs, `message`"
    " is for people, in Japanese or English as Accept-Language prefers (Japanese by default)."
    " Besides each route's own refusals, the gateway itself may answer 404 `not_found`, 413"
    " `payload_too_large` (bodies above 16 kB; an upload above 11 MB: `file_too_large`), 429"
    " `too_many_requests` (with Retry-After) and 503 `service_unavailable` (with Retry-After);"
    " customer routes answer 503 `maintenance` (with Retry-After) during the weekly maintenance"
    " window.",
}


def service_documents() -> dict[str, Document]:
    """Each service's public routes as its own OpenAPI document describes them, with the
    security each operation needs; the probes and /metrics left out."""
    documents = {}
    for service, build in SERVICES.items():
        app = build()
        document = copy.deepcopy(app.openapi())
        secured = _security_by_operation(app)
        for path in OPERATIONS:
            document["paths"].pop(path, None)
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                schemes = secured.get((path, method), ())
                if schemes:
                    operation["security"] = [{scheme: []} for scheme in schemes]
        documents[service] = document
    return documents


def merged(documents: Mapping[str, Document]) -> Document:
    """One document: the paths of all (a path served by two services is an error), the schemas
    once each (see `_schema_names`), the security schemes, and the real 422."""
    renames = _schema_names(documents)
    paths: Document = {}
    schemas: Document = {}
    for service, document in documents.items():
        names = renames[service]
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if names[name] in _VALIDATION:
                continue
            rewritten = _with_refs(schema, names)
            if schemas.setdefault(names[name], rewritten) != rewritten:
                raise ValueError(f"schema {names[name]} differs between services")
        for path, operations in document["paths"].items():
            if path in paths:
                raise ValueError(f"{path} is served by two services")
            paths[path] = _with_refs(operations, names)
    for operations in paths.values():
        for operation in operations.values():
            invalid = operation["responses"].get("422")
            if invalid and _refs(invalid) == {"#/components/schemas/ValidationFailed"}:
                invalid["description"] = _VALIDATION["ValidationFailed"]["description"]
    schemas.update(_VALIDATION)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def rendered() -> str:
    return json.dumps(merged(service_documents()), ensure_ascii=False, indent=2) + "\n"


def published() -> Path:
    return repo_root() / "web" / "openapi.json"


def _security_by_operation(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    secured = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if isinstance(dependant, Dependant) and route.path_format and route.methods:
            schemes = sorted({_SCHEME_OF[call] for call in _calls(dependant)})
            for method in route.methods:
                secured[(route.path_format, method.lower())] = schemes
    return secured


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        if dependency.call in _SCHEME_OF:
            yield dependency.call
        yield from _calls(dependency)


def _schema_names(documents: Mapping[str, Document]) -> dict[str, dict[str, str]]:
    """Per service, the merged name of each of its schemas: its own name when no other service
    has a different schema under it, else `<service>__<name>`; FastAPI's validation schemas
    become the answer the services really give."""
    seen: dict[str, list[Any]] = {}
    for document in documents.values():
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            if schema not in seen.setdefault(name, []):
                seen[name].append(schema)
    names: dict[str, dict[str, str]] = {}
    for service, document in documents.items():
        names[service] = {
            name: _FASTAPI_VALIDATION.get(name)
            or (name if len(seen[name]) == 1 else f"{service}__{name}")
            for name in document.get("components", {}).get("schemas", {})
        }
    return names


_PREFIX = "#/components/schemas/"


def _with_refs(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                _PREFIX + names[item.removeprefix(_PREFIX)]
                if key == "$ref" and isinstance(item, str) and item.startswith(_PREFIX)
                else _with_refs(item, names)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_refs(item, names) for item in value]
    return value


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {
            ref for key, item in value.items() for ref in ([item] if key == "$ref" else _refs(item))
        }
    if isinstance(value, list):
        return {ref for item in value for ref in _refs(item)}
    return set()


def main() -> None:
    published().write_text(rendered(), encoding="utf-8")
    print(f"wrote {published()}", file=sys.stderr)


if __name__ == "__main__":
    main()
