"""The security sweep, through the gateway, against the real services: every API fuzzed from its
own OpenAPI (no 5xx, no answer that breaks its schema), an accident's documents and thread also
with the customer's own token; every customer route with another customer's ids and with no
token or tokens identity never issued; staff routes (the adjuster's document download too) with
a customer's token; password guessing and credential stuffing throttled. (Passwords in logs and
topics: the fault suite and the registration journeys scan them; the gateway's headers:
tests/test_gateway.py.)"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from web_harness import Product

from claim_status_harness import ClaimLog
from claims_shared.events import UserRegistered

PASSWORD = "a good passphrase"
CORRESPONDENCE_OPERATIONS = (
    "claim_status GET /api/v1/me/accidents/{claim_id}/documents",
    "claim_status POST /api/v1/me/accidents/{claim_id}/documents",
    "claim_status GET /api/v1/me/accidents/{claim_id}/messages",
    "claim_status POST /api/v1/me/accidents/{claim_id}/messages",
    "claim_status GET /api/v1/adjuster/claims/{claim_id}/documents/{document_id}",
)
ACCOUNT_OPERATIONS = (
    "identity GET /api/v1/me/sessions",
    "identity DELETE /api/v1/me/sessions",
    "identity DELETE /api/v1/me/sessions/{session_id}",
    "identity GET /api/v1/me/passkeys",
    "identity POST /api/v1/me/passkeys",
    "identity POST /api/v1/me/passkeys/options",
    "identity DELETE /api/v1/me/passkeys/{passkey_id}",
    "identity POST /api/v1/sessions/passkey/options",
    "identity POST /api/v1/sessions/passkey",
    "claim_status GET /api/v1/me/accidents/{claim_id}",
)
"""Issue 17's and 18's routes (the detail's ?as_of= is a parameter of its old route)."""
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _signed_in(client: httpx.Client, email: str) -> dict[str, str]:
    answer = client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _with_an_accident(product: Product) -> tuple[UserRegistered, ClaimLog]:
    """A customer with an account and an accident reported on their first policy."""
    customer = product.customer(PASSWORD)
    return customer, product.accident_for(customer.customer_id, customer.policy_numbers[0])


def refused_in_words(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every refusal, the gateway's own included, is {code, message}: never a bare status, a
    framework's default body or an nginx page."""
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and {"code", "message"} <= set(body), response.text[:300]
    return None


def _fuzzed(operation: Any, send: Callable[[Any], Any]) -> str | None:
    """Twenty generated cases of `operation`, each sent by `send`: what went wrong (a 5xx, an
    answer that breaks its schema), or None. A 429 (the gateway's or a service's throttle) is an
    answer, by design."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        response = send(case)
        if response.status_code == 429:
            return
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance, refused_in_words]
        )

    try:
        call()
    except (BaseExceptionGroup, AssertionError) as error:
        return str(error)[:1500]
    return None


def test_every_api_fuzzed_through_the_gateway_answers_without_5xx_or_schema_breaks(
    product: Product,
) -> None:
    failures: dict[str, str] = {}
    fuzzed: list[str] = []
    for service, url in product.services.items():
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operation.path.startswith("/api/") and "jwks" not in operation.path:
                continue  # health and metrics are not behind the gateway
            fuzzed.append(f"{service} {operation.label}")
            failure = _fuzzed(operation, lambda case: case.call(base_url=product.url, timeout=15))
            if failure is not None:
                failures[f"{service} {operation.label}"] = failure
    assert len(fuzzed) >= 12, fuzzed
    assert set(CORRESPONDENCE_OPERATIONS + ACCOUNT_OPERATIONS) <= set(fuzzed), fuzzed
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


def test_an_accidents_documents_and_thread_fuzzed_signed_in_answer_without_5xx(
    product: Product,
) -> None:
    """The same fuzzing with the customer's own token and accident, so what is generated reaches
    the upload pipeline (clamd, the type judged, the object store) and the thread."""
    me, mine = _with_an_accident(product)
    with httpx.Client(base_url=product.url, timeout=15) as client:
        bearer = _signed_in(client, me.email)
    schema = schemathesis.openapi.from_url(f"{product.services['claim_status']}/openapi.json")
    failures: dict[str, str] = {}
    fuzzed: list[str] = []
    answered: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api/v1/me/accidents/{claim_id}/"):
            continue
        fuzzed.append(operation.label)

        def on_my_accident(case: Any) -> Any:
            case.path_parameters = {**(case.path_parameters or {}), "claim_id": mine.claim_id}
            response = case.call(base_url=product.url, headers=bearer, timeout=30)
            answered.setdefault(case.operation.label, set()).add(response.status_code)
            return response

        failure = _fuzzed(operation, on_my_accident)
        if failure is not None:
            failures[operation.label] = failure
    assert sorted(fuzzed) == sorted(
        label.removeprefix("claim_status ")
        for label in CORRESPONDENCE_OPERATIONS
        if "/me/" in label
    )
    # What was generated got past the checks to the pipeline's and the thread's own answers.
    assert 415 in answered["POST /api/v1/me/accidents/{claim_id}/documents"], answered
    assert 201 in answered["POST /api/v1/me/accidents/{claim_id}/messages"], answered
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


LIVE_CHALLENGES = {
    "POST /api/v1/sessions/passkey": "/api/v1/sessions/passkey/options",
    "POST /api/v1/me/passkeys": "/api/v1/me/passkeys/options",
}
"""Where each passkey answer's challenge comes from: a fuzzed answer sent with a live one gets
past the challenge to py_webauthn's parsing and verification, as an attacker's would."""


def test_passkeys_sessions_and_past_claims_fuzzed_signed_in_answer_without_5xx(
    product: Product,
) -> None:
    """The accounts' routes fuzzed with the customer's own token (recent: it may add passkeys),
    their accident and a live challenge in each passkey answer."""
    me, mine = _with_an_accident(product)
    labels = [label.split(" ", 1) for label in ACCOUNT_OPERATIONS]
    failures: dict[str, str] = {}
    answered: dict[str, set[str]] = {}
    with httpx.Client(base_url=product.url, timeout=30) as client:
        bearer = _signed_in(client, me.email)

        def signed_in(case: Any) -> Any:
            label = case.operation.label
            if "claim_id" in (case.path_parameters or {}):
                case.path_parameters = {**case.path_parameters, "claim_id": mine.claim_id}
            if label in LIVE_CHALLENGES and isinstance(case.body, dict):
                live = client.post(LIVE_CHALLENGES[label], headers=bearer).json()
                case.body = {**case.body, "challenge_id": live["challenge_id"]}
            response = case.call(base_url=product.url, headers=bearer, timeout=30)
            code = response.json().get("code") if response.status_code >= 400 else ""
            answered.setdefault(label, set()).add(f"{response.status_code} {code}".strip())
            return response

        for service, label in labels:
            schema = schemathesis.openapi.from_url(f"{product.services[service]}/openapi.json")
            method, path = label.split(" ")
            operation = schema[path][method]
            failure = _fuzzed(operation, signed_in)
            if failure is not None:
                failures[label] = failure
    # Generated answers reached the verification of a passkey (refused there), not only the
    # challenge's check, and the past claim was read.
    assert "401 passkey_refused" in answered["POST /api/v1/sessions/passkey"], answered
    assert "400 passkey_not_verified" in answered["POST /api/v1/me/passkeys"], answered
    assert "200" in answered["GET /api/v1/me/accidents/{claim_id}"], answered
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())


def _forged(token: str) -> dict[str, str]:
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    kid = jwt.get_unverified_header(token)["kid"]
    none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    changed = {**claims, "customer_id": "someone-else"}
    tampered = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    expired = {**claims, "exp": claims["iat"] - 60, "nbf": claims["iat"] - 120}
    return {
        "tampered": f"{header}.{tampered}.{token.split('.')[2]}",
        "alg none": f"{none}.{payload}.",
        "foreign key": jwt.encode(
            claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
        ),
        "expired": jwt.encode(
            expired, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
        ),
        "no signature": f"{header}.{payload}",
    }


def test_every_customer_route_refuses_other_customers_and_tokens_identity_never_issued(
    product: Product,
) -> None:
    (me, mine), (_, theirs) = _with_an_accident(product), _with_an_accident(product)
    with httpx.Client(base_url=product.url, timeout=15) as client:
        bearer = _signed_in(client, me.email)
        token = bearer["Authorization"].removeprefix("Bearer ")

        listed = client.get("/api/v1/me/accidents", headers=bearer).json()["items"]
        assert [item["claim_id"] for item in listed] == [mine.claim_id]
        foreign = client.get(f"/api/v1/me/accidents/{theirs.claim_id}", headers=bearer)
        missing = client.get("/api/v1/me/accidents/CL-none", headers=bearer)
        assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
        assert foreign.status_code == 404
        assert client.get("/api/v1/me", headers=bearer).json()["email"] == me.email

        adjuster = client.post(
            f"/api/v1/adjuster/claims/{mine.claim_id}/updates",
            headers=bearer,
            json=mine.next("note_added", product.clock, text="x").model_dump(mode="json"),
        )
        assert adjuster.status_code == 403, "a customer is not an adjuster"

        routes = [
            ("GET", "/api/v1/me"),
            ("GET", "/api/v1/me/accidents"),
            ("GET", f"/api/v1/me/accidents/{mine.claim_id}"),
            ("PUT", "/api/v1/me/password"),
            ("DELETE", "/api/v1/sessions"),
            ("POST", f"/api/v1/adjuster/claims/{mine.claim_id}/updates"),
            ("GET", f"/api/v1/me/accidents/{mine.claim_id}/documents"),
            ("POST", f"/api/v1/me/accidents/{mine.claim_id}/documents"),
            ("GET", f"/api/v1/me/accidents/{mine.claim_id}/messages"),
            ("POST", f"/api/v1/me/accidents/{mine.claim_id}/messages"),
            ("GET", f"/api/v1/adjuster/claims/{mine.claim_id}/documents/{uuid.uuid4()}"),
            ("GET", f"/api/v1/me/accidents/{mine.claim_id}?as_of=2026-11-25"),
            ("GET", "/api/v1/me/sessions"),
            ("DELETE", "/api/v1/me/sessions"),
            ("DELETE", f"/api/v1/me/sessions/{uuid.uuid4()}"),
            ("GET", "/api/v1/me/passkeys"),
            ("POST", "/api/v1/me/passkeys/options"),
            ("POST", "/api/v1/me/passkeys"),
            ("DELETE", f"/api/v1/me/passkeys/{uuid.uuid4()}"),
            ("GET", "/api/v1/me/notification-settings"),
            ("PUT", "/api/v1/me/notification-settings"),
            ("POST", "/api/v1/me/push-subscriptions"),
            ("DELETE", f"/api/v1/me/push-subscriptions/{uuid.uuid4()}"),
            ("POST", f"/api/v1/registrations/{uuid.uuid4()}/account"),
        ]
        _every_secured_operation_is_tried(client.get("/api/v1/openapi.json").json(), routes)
        for name, forged in {**_forged(token), "no token": ""}.items():
            for method, path in routes:
                answer = client.request(
                    method,
                    path,
                    headers={"Authorization": f"Bearer {forged}"} if forged else {},
                    **_body(method, path),
                )
                assert answer.status_code == 401, (name, method, path, answer.text)
                assert set(answer.json()) == {"code", "message"}, answer.text


def _every_secured_operation_is_tried(
    document: dict[str, Any], routes: list[tuple[str, str]]
) -> None:
    """The API document the gateway serves: each operation that takes a token is among `routes`,
    so a route added later without joining this sweep fails here."""
    tried = {(method, path.split("?")[0]) for method, path in routes}
    for template, operations in document["paths"].items():
        shape = re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)))
        for method, operation in operations.items():
            if operation.get("security"):
                assert any(m == method.upper() and shape.fullmatch(p) for m, p in tried), (
                    f"{method.upper()} {template} takes a token: try it with forged ones"
                )


def _body(method: str, path: str) -> dict[str, Any]:
    """What each route would take from its owner, so only the token is wrong."""
    if method == "PUT":
        return {"json": {"current_password": PASSWORD, "new_password": "x" * 20}}
    if method == "POST" and path.endswith("/documents"):
        return {
            "files": {"file": ("見積書.pdf", PDF, "application/pdf")},
            "data": {"action_id": "A1"},
        }
    if method == "POST" and path.endswith("/account"):
        return {"json": {"email": "taro@example.jp", "password": "山田家の合言葉2026"}}
    if method == "POST" and path.endswith("/messages"):
        return {"json": {"text": "修理工場が決まりました。"}}
    return {}


def test_another_customers_documents_and_thread_are_not_found_and_not_theirs_to_download(
    product: Product,
) -> None:
    (me, mine), (other, theirs) = _with_an_accident(product), _with_an_accident(product)
    with httpx.Client(base_url=product.url, timeout=30) as client:
        bearer, owner = _signed_in(client, me.email), _signed_in(client, other.email)
        sent = client.post(
            f"/api/v1/me/accidents/{theirs.claim_id}/documents",
            headers=owner,
            **_body("POST", "/documents"),
        )
        assert sent.status_code == 201, sent.text
        document_id = sent.json()["document_id"]
        posted = client.post(
            f"/api/v1/me/accidents/{theirs.claim_id}/messages",
            headers=owner,
            **_body("POST", "/messages"),
        )
        assert posted.status_code == 201, posted.text
        product.wait_for(
            "claim_status",
            "SELECT 1 FROM claim_documents WHERE document_id = %s::uuid",
            document_id,
        )
        product.wait_for(
            "claim_status",
            "SELECT 1 FROM claim_messages WHERE message_id = %s::uuid",
            posted.json()["message_id"],
        )

        for method, route in [
            ("GET", "documents"),
            ("POST", "documents"),
            ("GET", "messages"),
            ("POST", "messages"),
        ]:
            foreign, missing = (
                client.request(
                    method,
                    f"/api/v1/me/accidents/{claim_id}/{route}",
                    headers=bearer,
                    **_body(method, f"/{route}"),
                )
                for claim_id in (theirs.claim_id, "CL-none")
            )
            assert foreign.status_code == 404, (method, route, foreign.text)
            assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
            assert theirs.claim_id not in foreign.text and document_id not in foreign.text

        download = f"/api/v1/adjuster/claims/{theirs.claim_id}/documents/{document_id}"
        assert client.get(download, headers=bearer).status_code == 403, "not an adjuster"
        assert client.get(download, headers=owner).status_code == 403, "nor is its sender"
        own = client.get(f"/api/v1/me/accidents/{mine.claim_id}/documents", headers=bearer)
        assert (own.status_code, own.json()["documents"]) == (200, [])
        thread = client.get(f"/api/v1/me/accidents/{theirs.claim_id}/messages", headers=owner)
        assert [m["text"] for m in thread.json()["messages"]] == ["修理工場が決まりました。"]


def test_password_guessing_and_credential_stuffing_are_throttled(
    product: Product, all_at_once: Any
) -> None:
    victim = product.customer(PASSWORD)
    with httpx.Client(base_url=product.url, timeout=15) as client:
        guesses = [
            client.post(
                "/api/v1/sessions", json={"email": victim.email, "password": f"guess-{n}"}
            ).status_code
            for n in range(25)
        ]
        assert guesses[0] == 401 and 429 in guesses, guesses
        locked_out = client.post(
            "/api/v1/sessions", json={"email": victim.email, "password": PASSWORD}
        )
        assert locked_out.status_code == 429, "even the right password waits out the throttle"

        policy = product.record_policy(code="483921")
        codes = [
            client.post(
                "/api/v1/registrations/procedure-code",
                json={"policy_number": policy.policy_number, "procedure_code": f"{n:06d}"},
            ).status_code
            for n in range(8)
        ]
        assert codes[0] == 401 and codes[-1] == 429, codes

    def stuff(client: httpx.Client, _: int) -> httpx.Response:
        leaked = {"email": f"leaked.{uuid.uuid4().hex[:6]}@example.jp", "password": "x"}
        return client.post("/api/v1/sessions", json=leaked)

    started = time.monotonic()
    stuffing = [answer.status_code for answer in all_at_once(product.url, stuff)]
    assert 429 in stuffing, "the gateway limits one client's log-in attempts"
    assert time.monotonic() - started < 120
