"""The one error format of every API: JSON `{code, message}` with the message in the request's
language (Japanese by default, English with Accept-Language: en)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from claims_shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Message:
    ja: str
    en: str

    def in_language(self, language: str) -> str:
        return self.en if language == "en" else self.ja


def request_language(request: Request) -> str:
    """'en' when English is preferred over Japanese in Accept-Language, else 'ja'."""
    best, best_q = "ja", -1.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in ("ja", "en") and quality > best_q:
            best, best_q = primary, quality
    return best


class ApiError(Exception):
    """Raised anywhere below a route; answered as `{code, message}` with `status`."""

    def __init__(
        self, status: int, code: str, message: Message, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


GENERIC = {
    400: (
        "bad_request",
        Message("リクエストの形式が正しくありません。", "The request is malformed."),
    ),
    401: ("unauthenticated", Message("ログインが必要です。", "Please log in.")),
    403: ("forbidden", Message("この操作は許可されていません。", "This action is not allowed.")),
    404: ("not_found", Message("見つかりません。", "Not found.")),
    405: ("method_not_allowed", Message("この操作はできません。", "Method not allowed.")),
    413: ("payload_too_large", Message("送信内容が大きすぎます。", "The request is too large.")),
    500: (
        "internal_error",
        Message(
            "ただいま処理できません。しばらくしてからお試しください。",
            "We could not process this right now. Please try again later.",
        ),
    ),
}

VALIDATION = Message("入力内容をご確認ください。", "Please check what you entered.")


def error_response(
    request: Request,
    status: int,
    code: str,
    message: Message,
    headers: dict[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {"code": code, "message": message.in_language(request_language(request)), **extra}
    return JSONResponse(body, status_code=status, headers=headers)


def _field_error(error: dict[str, Any], language: str) -> dict[str, str]:
    """A refusal that brings its own code and both languages in its context (a pydantic
    PydanticCustomError, as claims_shared.emails raises) is told that way beside the field."""
    field = ".".join(str(p) for p in error["loc"] if p != "body")
    context = error.get("ctx") or {}
    ja, en = context.get("ja"), context.get("en")
    if isinstance(ja, str) and isinstance(en, str):
        message = Message(ja, en).in_language(language)
        return {"field": field, "code": str(error["type"]), "message": message}
    return {"field": field, "message": str(error["msg"])}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> JSONResponse:
        return error_response(request, error.status, error.code, error.message, error.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        language = request_language(request)
        fields = [_field_error(e, language) for e in error.errors()]
        return error_response(request, 422, "validation_failed", VALIDATION, errors=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code, message = GENERIC.get(error.status_code, GENERIC[400])
        return error_response(request, error.status_code, code, message, dict(error.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        code, message = GENERIC[500]
        return error_response(request, 500, code, message)
