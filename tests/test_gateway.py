"""The nginx gateway, for real: routes each public path to its service, passes a request id that
the service receives, sets the security headers, throttles log-in and registration per client
and uploads and messages per customer, caps body sizes (16 kB, 11 MB on the upload route),
serves the web front, and refuses in the services' {code, message} format."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from devinfra.gateway import LocalGateway
from devinfra.paths import free_port, local_dir, port_answers
from devinfra.testing import serve_http


def stub(name: str) -> FastAPI:
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, Any]:
        return {
            "service": name,
            "path": "/" + path,
            "request_id": request.headers.get("x-request-id"),
            "body_bytes": len(await request.body()),
        }

    return app


@pytest.fixture(scope="module")
def upstreams() -> Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_http(stub(name))).removeprefix("http://")
            for name in ("identity", "registration", "claim_status", "notifier")
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
    (web / "manifest.webmanifest").write_text(MANIFEST)
    (web / "sw.js").write_text(SERVICE_WORKER)
    unreadable = web / "unreadable.txt"  # nginx's worker may not read it: its own 403
    unreadable.write_text("secret")
    unreadable.chmod(0)
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
        ("GET", "/api/v1/me/sessions", "identity"),
        ("DELETE", "/api/v1/me/sessions", "identity"),
        ("DELETE", f"/api/v1/me/sessions/{uuid.UUID(int=8)}", "identity"),
        ("GET", "/.well-known/jwks.json", "identity"),
        ("GET", "/api/v1/me/accidents", "claim_status"),
        ("GET", "/api/v1/me/accidents/CL-1", "claim_status"),
        ("POST", "/api/v1/adjuster/claims/CL-1/updates", "claim_status"),
        ("GET", "/api/v1/me/notification-settings", "notifier"),
        ("PUT", "/api/v1/me/notification-settings", "notifier"),
        ("POST", "/api/v1/me/push-subscriptions", "notifier"),
        ("DELETE", f"/api/v1/me/push-subscriptions/{uuid.UUID(int=7)}", "notifier"),
        ("GET", "/api/v1/push/vapid-public-key", "notifier"),
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


MANIFEST = '{"name": "お客さまWebサービス", "start_url": "/app/"}'
SERVICE_WORKER = "importScripts('/js/sw-push.js');"


def test_the_app_manifest_is_served_as_a_manifest(gateway: str) -> None:
    response = httpx.get(gateway + "/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json; charset=utf-8"
    assert response.json()["name"] == "お客さまWebサービス"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_service_worker_is_revalidated_on_every_check(gateway: str) -> None:
    """A new version of the app is found at once (the browser's update check bypasses nothing
    the gateway lets it cache), and the security headers stay on the worker's answer."""
    response = httpx.get(gateway + "/sw.js")
    assert response.status_code == 200
    assert response.text == SERVICE_WORKER
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Service-Worker-Allowed" not in response.headers  # at the root already


def test_the_app_files_are_never_the_web_page_in_their_place(upstreams: dict[str, str]) -> None:
    """Without a manifest or a worker on disk the gateway says 404 in the error format, rather
    than index.html under their names (which a browser would take for a broken manifest)."""
    state = gateway_dir()
    (state / "index.html").write_text("<!doctype html><title>お客さまWebサービス</title>")
    running = LocalGateway(state / "nginx", upstreams, web_root=state).start()
    try:
        answers = [httpx.get(running.url + path) for path in ("/manifest.webmanifest", "/sw.js")]
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)
    for answer in answers:
        assert (answer.status_code, answer.json()["code"]) == (404, "not_found")


def test_without_a_notifier_its_routes_answer_503_in_the_error_format(
    upstreams: dict[str, str],
) -> None:
    others = {name: address for name, address in upstreams.items() if name != "notifier"}
    state = gateway_dir()
    running = LocalGateway(state, others, web_root=state).start()
    try:
        response = httpx.get(running.url + "/api/v1/me/notification-settings")
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)
    assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")


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
    assert refused.headers["X-Request-ID"]
    in_english = httpx.post(gateway + "/api/v1/password-resets", headers=ENGLISH)
    assert in_english.json() == {
        "code": "too_many_requests",
        "message": "We are receiving too many requests. Please try again in a little while.",
    }


def test_large_bodies_are_refused(gateway: str) -> None:
    response = httpx.put(gateway + "/api/v1/me/password", content=b"x" * 20_000)
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
    assert response.json()["message"] == "送信内容が大きすぎます。"


ENGLISH = {"Accept-Language": "en"}
UPLOAD = "/api/v1/me/accidents/CL-1/documents"
MB = 1024 * 1024


def customer(name: str) -> dict[str, str]:
    """A customer's bearer token as the web front sends it (the gateway only keys on it)."""
    return {"Authorization": f"Bearer token-of-{name}-{uuid.uuid4().hex}"}


def test_an_upload_of_up_to_11_mb_reaches_the_service(gateway: str) -> None:
    """The service refuses 10 MB and more itself, in its own words, so the gateway lets them by."""
    response = httpx.post(
        gateway + UPLOAD, content=b"x" * (10 * MB + 500_000), headers=customer("a"), timeout=30
    )
    assert response.status_code == 200
    assert response.json()["body_bytes"] == 10 * MB + 500_000
    assert response.json()["path"] == UPLOAD


def test_an_upload_above_11_mb_is_refused_by_the_gateway_as_a_file_too_large(
    gateway: str,
) -> None:
    body = b"x" * (11 * MB + 1)
    response = httpx.post(gateway + UPLOAD, content=body, headers=customer("b"), timeout=30)
    assert response.status_code == 413
    assert response.json() == {
        "code": "file_too_large",
        "message": "ファイルが大きすぎます。1ファイル10MBまでお送りいただけます。",
    }
    in_english = httpx.post(
        gateway + UPLOAD, content=body, headers={**customer("b"), **ENGLISH}, timeout=30
    )
    assert (in_english.status_code, in_english.json()) == (
        413,
        {
            "code": "file_too_large",
            "message": "The file is too large. Each file can be up to 10 MB.",
        },
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me/accidents/CL-1/messages",
        "/api/v1/me/accidents/CL-1",
        "/api/v1/me/accidents/CL-1/documents/extra",
        "/api/v1/adjuster/claims/CL-1/updates",
        "/api/v1/me/push-subscriptions",
    ],
)
def test_every_other_route_keeps_the_16k_body_limit(gateway: str, path: str) -> None:
    response = httpx.post(gateway + path, content=b"x" * 20_000, headers=customer("c"))
    assert (response.status_code, response.json()) == (
        413,
        {"code": "payload_too_large", "message": "送信内容が大きすぎます。"},
    )


@pytest.mark.parametrize(
    ("path", "allowed"),
    [(UPLOAD, 21), ("/api/v1/me/accidents/CL-1/messages", 6)],
    ids=["uploads", "messages"],
)
def test_uploads_and_messages_are_throttled_per_customer(
    gateway: str, path: str, allowed: int
) -> None:
    """A request's 20 files go through at once; a customer sending on and on is told to wait,
    while another customer, and reading the same documents and thread, are not held up."""
    busy = customer("busy")
    statuses = [
        httpx.post(gateway + path, content=b"{}", headers=busy).status_code
        for _ in range(allowed + 4)
    ]
    assert statuses[:allowed] == [200] * allowed
    assert 429 in statuses
    refused = httpx.post(gateway + path, content=b"{}", headers={**busy, **ENGLISH})
    assert refused.status_code == 429
    assert refused.json() == {
        "code": "too_many_requests",
        "message": "We are receiving too many requests. Please try again in a little while.",
    }
    assert refused.headers["Retry-After"] == "60"
    assert httpx.get(gateway + path, headers=busy).status_code == 200
    assert httpx.post(gateway + path, content=b"{}", headers=customer("other")).status_code == 200


def test_the_gateways_refusals_come_in_english_when_the_client_asks(gateway: str) -> None:
    """What the web front in English mode sends (Accept-Language: en) and gets back."""
    too_large = httpx.put(gateway + "/api/v1/me/password", content=b"x" * 20_000, headers=ENGLISH)
    assert too_large.json() == {
        "code": "payload_too_large",
        "message": "The request is too large.",
    }
    unknown = httpx.get(gateway + "/api/v1/nothing-here", headers=ENGLISH)
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Not found.")
    not_allowed = httpx.post(gateway + "/accidents", headers=ENGLISH)
    assert not_allowed.status_code == 405
    assert not_allowed.json()["code"] == "method_not_allowed"
    forbidden = httpx.get(gateway + "/unreadable.txt", headers=ENGLISH)
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")
    assert forbidden.json()["message"] == "This action is not allowed."


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("en", "en"),
        ("EN-gb", "en"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8, ja;q=0.5", "en"),
        ("ja", "ja"),
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("fr, ja;q=0.9, en;q=0.8", "ja"),
        ("fr", "ja"),
        ("english", "ja"),
        ("", "ja"),
    ],
)
def test_the_gateway_chooses_the_language_as_the_services_do(
    gateway: str, accept_language: str, language: str
) -> None:
    body = httpx.get(
        gateway + "/api/v1/nothing-here", headers={"Accept-Language": accept_language}
    ).json()
    assert body["message"] == {"en": "Not found.", "ja": "見つかりません。"}[language]


def raw_request(gateway: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Sent as bytes on a socket, as no HTTP client would let us: the status line, headers and
    body nginx answers before it closes the connection."""
    host, port = gateway.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines)
    }
    return int(status_line.split()[1]), headers, body


def json_error(headers: dict[str, str], body: bytes) -> dict[str, str]:
    assert headers["content-type"].startswith("application/json"), (headers, body[:200])
    error: dict[str, str] = json.loads(body)
    assert set(error) == {"code", "message"}
    return error


ASKS_ENGLISH = b"Host: x\r\nAccept-Language: en\r\nConnection: close\r\n"


@pytest.mark.parametrize(
    ("request_line", "status", "code"),
    [
        (b"GET /api/v1/me/accidents/CL\x001 HTTP/1.1", 400, "bad_request"),
        (b"GET /api/v1/me/accidents/CL%001 HTTP/1.1", 400, "bad_request"),
        (b"G@T / HTTP/1.1", 400, "bad_request"),
        (b"HELLO", 400, "bad_request"),
        (b"GET /../../etc/passwd HTTP/1.1", 400, "bad_request"),
        (b"GET /" + b"a" * 20_000 + b" HTTP/1.1", 414, "uri_too_long"),
        (b"GET / HTTP/2.0", 505, "http_version_not_supported"),
    ],
    ids=["nul", "escaped-nul", "bad-method", "garbage", "above-root", "uri-too-long", "http-2.0"],
)
def test_a_request_line_nginx_cannot_parse_gets_json_in_japanese(
    gateway: str, request_line: bytes, status: int, code: str
) -> None:
    """Refused before nginx reads any header, so Accept-Language cannot count: Japanese, the
    platform's default (without error pages in URIs nginx answered these 500 in HTML)."""
    answered, headers, body = raw_request(gateway, request_line + b"\r\n" + ASKS_ENGLISH + b"\r\n")
    error = json_error(headers, body)
    assert (answered, error["code"]) == (status, code)
    assert error["message"].isascii() is False, "Japanese"


@pytest.mark.parametrize(
    ("raw", "status", "code", "english"),
    [
        (
            b"GET /api/v1/me HTTP/1.1\r\nAccept-Language: en\r\n\r\n",
            400,
            "bad_request",
            "The request is malformed.",
        ),
        (
            b"GET /api/v1/me HTTP/1.1\r\n" + ASKS_ENGLISH + b"X-Note: a\x00b\r\n\r\n",
            400,
            "bad_request",
            "The request is malformed.",
        ),
        (
            b"GET /api/v1/me HTTP/1.1\r\n" + ASKS_ENGLISH + b"Bad Name: b\r\n\r\n",
            400,
            "bad_request",
            "The request is malformed.",
        ),
        (
            b"POST /api/v1/me HTTP/1.1\r\n" + ASKS_ENGLISH + b"Transfer-Encoding: chunked"
            b"\r\n\r\nzz\r\n",
            400,
            "bad_request",
            "The request is malformed.",
        ),
        (
            b"GET /api/v1/me HTTP/1.1\r\n"
            + ASKS_ENGLISH
            + b"Cookie: "
            + b"c" * 20_000
            + b"\r\n\r\n",
            431,
            "headers_too_large",
            "The request headers are too large.",
        ),
        (
            b"POST /api/v1/me HTTP/1.1\r\n" + ASKS_ENGLISH + b"Transfer-Encoding: gzip\r\n\r\n",
            501,
            "not_implemented",
            "This kind of request is not supported.",
        ),
    ],
    ids=["no-host", "nul-in-header", "bad-header-name", "bad-chunk", "headers-too-large", "te"],
)
def test_a_malformed_request_gets_json_in_the_clients_language(
    gateway: str, raw: bytes, status: int, code: str, english: str
) -> None:
    answered, headers, body = raw_request(gateway, raw)
    assert (answered, json_error(headers, body)) == (status, {"code": code, "message": english})
    in_japanese = raw.replace(b"Accept-Language: en", b"Accept-Language: ja")
    answered, headers, body = raw_request(gateway, in_japanese)
    error = json_error(headers, body)
    assert (answered, error["code"]) == (status, code)
    assert not error["message"].isascii()


def test_a_service_that_is_down_answers_503_in_the_error_format(upstreams: dict[str, str]) -> None:
    down = {**upstreams, "identity": f"127.0.0.1:{free_port()}"}
    state = gateway_dir()
    running = LocalGateway(state, down, web_root=state).start()
    try:
        response = httpx.get(running.url + "/api/v1/me")
        in_english = httpx.get(running.url + "/api/v1/me", headers=ENGLISH)
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)
    assert (response.status_code, response.json()["code"]) == (503, "service_unavailable")
    assert response.json()["message"] == "ただいま処理できません。しばらくしてからお試しください。"
    assert response.headers["Retry-After"] == "30"
    assert (in_english.status_code, in_english.json()["message"]) == (
        503,
        "We cannot process this right now. Please try again in a little while.",
    )


def unprivileged(command: list[str]) -> list[str]:
    """The command as `nobody` when the tests run as root (as CI's container does)."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]


def process_tree(pid: int) -> list[int]:
    """The process and its children (nginx's master and its workers), from /proc."""
    children = [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if stat.exists() and int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid
    ]
    return [pid, *children]


def real_uid(pid: int) -> int:
    status = (Path("/proc") / str(pid) / "status").read_text()
    return int(re.search(r"^Uid:\s+(\d+)", status, re.M)[1])  # type: ignore[index]


def test_the_local_gateway_runs_without_root(upstreams: dict[str, str]) -> None:
    """`make up`'s gateway needs no root: started as an ordinary user who owns its state folder
    it serves the web front and passes calls on, every nginx process is that user's, and it says
    nothing on stderr (no log path of root's opened, no `user` directive ignored)."""
    state = gateway_dir()
    (state / "index.html").write_text("<!doctype html><title>お客さまWebサービス</title>")
    gateway = LocalGateway(state / "nginx", upstreams, web_root=state, port=free_port())
    command = unprivileged(gateway.command(gateway.write_config()))
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "nobody:nogroup", str(state)], check=True)
    nginx = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not port_answers(gateway.port) and nginx.poll() is None:
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        page = httpx.get(gateway.url + "/")
        call = httpx.get(gateway.url + "/api/v1/me")
        uids = {real_uid(pid) for pid in process_tree(nginx.pid)}
    finally:
        nginx.terminate()
        _, stderr = nginx.communicate(timeout=10)
        shutil.rmtree(state, ignore_errors=True)
    assert page.status_code == 200 and "お客さまWebサービス" in page.text
    assert call.json()["service"] == "identity"
    assert 0 not in uids and len(uids) == 1, uids
    assert stderr == b""
