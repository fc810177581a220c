"""The one error format of every API: JSON `{code, message}` with the message in the request's
language (Japanese by default, English with Accept-Language: en).

Each service answers its own exceptions from one `ErrorTable` (exception -> status, code,
message), installed once by the app factory; the routes' documented `responses=` come from the
same table (`responses_for`), so what the OpenAPI promises is what the handlers answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
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


@dataclass(frozen=True)
class Refusal:
    """An answer given instead of a result. The same value is a row of an ErrorTable, is raised
    where no exception of the layers below fits (`raise NOT_FOUND.error()`), and is documented
    in the OpenAPI (`ErrorTable.responses_for`)."""

    status: int
    code: str
    message: Message

    def error(self, headers: dict[str, str] | None = None) -> ApiError:
        return ApiError(self.status, self.code, self.message, headers)

    @property
    def description(self) -> str:
        return f"`{self.code}`: {self.message.en}"


E = TypeVar("E", bound=Exception)


@dataclass(frozen=True)
class RefusalFrom(Generic[E]):
    """A row whose code or message the exception itself carries (a refused password names the
    rule it breaks); `description` says in the OpenAPI which codes to expect."""

    status: int
    description: str
    words: Callable[[E], tuple[str, Message]]

    def refusal(self, error: E) -> Refusal:
        code, message = self.words(error)
        return Refusal(self.status, code, message)


@runtime_checkable
class RetryLater(Protocol):
    """An exception that knows when to try again (claims_shared.throttle.TooManyAttempts): its
    answer carries Retry-After, counted from the request's own time."""

    def retry_after(self, now: datetime) -> int: ...


class ErrorBody(BaseModel):
    """What every refusal answers (a refused field list adds `errors`)."""

    code: str
    message: str


Row = Refusal | RefusalFrom[Any]
Responses = dict[int | str, dict[str, Any]]


class ErrorTable:
    """One service's exceptions and their answers, e.g.
    `ErrorTable({InvalidCredentials: Refusal(401, "invalid_credentials", INVALID_CREDENTIALS)})`.
    Routes do not catch these: the app factory installs one handler for each row."""

    def __init__(self, rows: Mapping[type[Exception], Row]) -> None:
        self._rows = dict(rows)

    def refusal(self, error: Exception) -> Refusal:
        """The row of the nearest class in the exception's MRO, as Starlette picks the handler."""
        for kind in type(error).__mro__:
            row = self._rows.get(kind)
            if isinstance(row, Refusal):
                return row
            if row is not None:
                return row.refusal(error)
        raise LookupError(f"{type(error).__name__} has no row in this error table")

    def install(self, app: FastAPI, now: Callable[[Request], datetime]) -> None:
        async def answer(request: Request, error: Exception) -> JSONResponse:
            refusal = self.refusal(error)
            headers = {}
            if isinstance(error, RetryLater):
                headers["Retry-After"] = str(error.retry_after(now(request)))
            return error_response(request, refusal.status, refusal.code, refusal.message, headers)

        for kind in self._rows:
            app.add_exception_handler(kind, answer)

    def responses_for(self, *answers: type[Exception] | Refusal) -> Responses:
        """The OpenAPI `responses=` of a route that may raise these exceptions (rows of this
        table) or give these refusals, grouped by status with the codes each may carry."""
        described: dict[int, list[str]] = {}
        for answer in answers:
            status, description = self._described(answer)
            described.setdefault(status, []).append(description)
        return {
            status: {"model": ErrorBody, "description": "\n\n".join(descriptions)}
            for status, descriptions in sorted(described.items())
        }

    def _described(self, answer: type[Exception] | Refusal) -> tuple[int, str]:
        if isinstance(answer, Refusal):
            return answer.status, answer.description
        row = self._rows[answer]
        return row.status, row.description


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


_WRONG_TYPE = Message("形式が正しくありません。", "This value has the wrong type.")
_BAD_DATE = Message("日付の形式が正しくありません。", "This date is not in a format we can read.")
_BAD_NUMBER = Message("数値で入力してください。", "Enter a number.")
FIELD_MESSAGES: dict[str, Message] = {
    "missing": Message("入力してください。", "This field is required."),
    "string_too_short": Message(
        "{min_length}文字以上で入力してください。", "Enter at least {min_length} characters."
    ),
    "string_too_long": Message(
        "{max_length}文字以内で入力してください。", "Enter at most {max_length} characters."
    ),
    "string_pattern_mismatch": Message(
        "形式が正しくありません。", "This value is not in the expected format."
    ),
    "literal_error": Message("選べる値ではありません。", "This is not one of the allowed values."),
    "enum": Message("選べる値ではありません。", "This is not one of the allowed values."),
    "extra_forbidden": Message("この項目は受け付けていません。", "This field is not accepted."),
    "greater_than": Message("{gt}より大きい値にしてください。", "Enter a value above {gt}."),
    "greater_than_equal": Message("{ge}以上にしてください。", "Enter {ge} or more."),
    "less_than": Message("{lt}より小さい値にしてください。", "Enter a value below {lt}."),
    "less_than_equal": Message("{le}以下にしてください。", "Enter {le} or less."),
    "json_invalid": Message("JSONの形式が正しくありません。", "The body is not valid JSON."),
    "union_tag_invalid": Message("種類が正しくありません。", "This type is not one we know."),
    "union_tag_not_found": Message("種類を指定してください。", "Say which type this is."),
    "int_parsing": _BAD_NUMBER,
    "int_from_float": Message("整数で入力してください。", "Enter a whole number."),
    "float_parsing": _BAD_NUMBER,
    "date_parsing": _BAD_DATE,
    "date_from_datetime_parsing": _BAD_DATE,
    "date_type": _BAD_DATE,
    "datetime_parsing": _BAD_DATE,
    "datetime_from_date_parsing": _BAD_DATE,
    "datetime_type": _BAD_DATE,
    "timezone_aware": Message("時差（タイムゾーン）を付けてください。", "Give a time zone."),
    **{
        kind: _WRONG_TYPE
        for kind in (
            "string_type",
            "int_type",
            "float_type",
            "bool_type",
            "bool_parsing",
            "dict_type",
            "list_type",
            "model_type",
            "model_attributes_type",
            "uuid_type",
            "uuid_parsing",
            "is_instance_of",
        )
    },
}
"""pydantic's refusals in the customer's language: its own messages are English only."""
_OTHERWISE = Message("入力内容が正しくありません。", "")


def _field_error(error: dict[str, Any], language: str) -> dict[str, str]:
    """A refusal that brings its own code and both languages in its context (a pydantic
    PydanticCustomError, as claims_shared.emails raises) is told that way beside the field;
    pydantic's own refusals through FIELD_MESSAGES; any other (a validator's ValueError) in
    English as it was raised, and in Japanese as 'not valid'."""
    field = ".".join(str(p) for p in error["loc"] if p != "body")
    context = error.get("ctx") or {}
    ja, en = context.get("ja"), context.get("en")
    if isinstance(ja, str) and isinstance(en, str):
        message = Message(ja, en).in_language(language)
        return {"field": field, "code": str(error["type"]), "message": message}
    known = FIELD_MESSAGES.get(str(error["type"]))
    if known is None:
        known = Message(_OTHERWISE.ja, str(error["msg"]))
    try:
        text = known.in_language(language).format_map(context)
    except (KeyError, IndexError, ValueError):
        text = known.in_language(language)
    return {"field": field, "code": str(error["type"]), "message": text}


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
