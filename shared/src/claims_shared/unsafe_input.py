"""Characters no part of the platform can store or show are refused at the door of every
service: NUL (PostgreSQL's text refuses it, and a query failing on it was a 500) and lone UTF-16
surrogates (no encoder writes them), anywhere in the path, the query or a JSON body. The
customer gets 400 `{code, message}` in their language; nothing reaches a route."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from claims_shared.errors import VALIDATION, Message, error_response, request_language

INVALID_CHARACTERS = Message(
    "使用できない文字が含まれています。入力内容をご確認ください。",
    "The request contains characters we cannot accept. Please check what you entered.",
)

_ENCODED_NUL = re.compile(rb"%00|\x00")
# In a JSON body: a raw NUL, an escaped NUL, or an escaped surrogate (paired ones are checked
# after parsing; this only decides whether parsing is worth it).
_SUSPECT_JSON = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_UNSAFE_TEXT = re.compile(r"[\x00\ud800-\udfff]")


def _unsafe_target(scope: Scope) -> bool:
    raw_path: bytes = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
    query: bytes = scope.get("query_string", b"")
    return bool(_ENCODED_NUL.search(raw_path) or _ENCODED_NUL.search(query)) or bool(
        _UNSAFE_TEXT.search(scope.get("path", ""))
    )


def _unsafe_field(value: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first string holding an unsafe character, if any."""
    if isinstance(value, str):
        return ".".join(path) if _UNSAFE_TEXT.search(value) else None
    items: list[tuple[str, Any]] = []
    if isinstance(value, list):
        items = [(str(index), item) for index, item in enumerate(value)]
    elif isinstance(value, dict):
        items = list(value.items())
        if any(_UNSAFE_TEXT.search(key) for key, _ in items):
            return ".".join(path)
    for key, item in items:
        if (found := _unsafe_field(item, (*path, key))) is not None:
            return found
    return None


def _unsafe_json(body: bytes) -> str | None:
    """Where in the body an unsafe character is ('' for the body as a whole), or None."""
    if not _SUSPECT_JSON.search(body):
        return None
    try:
        return _unsafe_field(json.loads(body))
    except ValueError:
        return "" if b"\x00" in body else None  # not JSON: the route's validation answers it


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


class RefuseUnsafeCharacters:
    """Pure ASGI middleware: reads a JSON body once and hands the same bytes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _unsafe_target(scope):
            await self._refuse(scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, disconnected = await _read_body(receive)
        field = None if disconnected else _unsafe_json(body)
        if field is not None:
            await self._refuse_field(scope, receive, send, field)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = error_response(request, 400, "invalid_characters", INVALID_CHARACTERS)
        await response(scope, receive, send)

    @staticmethod
    async def _refuse_field(scope: Scope, receive: Receive, send: Send, field: str) -> None:
        """Told beside the field, like any other refusal of a form's value."""
        request = Request(scope, receive)
        language = request_language(request)
        error = {
            "field": field,
            "code": "invalid_characters",
            "message": INVALID_CHARACTERS.in_language(language),
        }
        response = error_response(request, 422, "validation_failed", VALIDATION, errors=[error])
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> AsgiMessage:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
