"""structlog logs, one line per event, carrying the request and correlation ids bound in
contextvars, so one customer's journey can be followed across services: JSON for machines (what
production ships and the fault suite scans), or structlog's console renderer for a person at a
terminal (`make up`), chosen by LOG_FORMAT."""

from __future__ import annotations

import logging
import sys

import structlog
import structlog.tracebacks

_REDACTED_KEYS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "temporary_password",
        "password_hash",
        "procedure_code",
        "authorization",
        "access_token",
        "refresh_token",
        "registration_token",
    }
)


def _redact_secrets(
    _: object, __: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """A guard, not the plan: secrets are never logged on purpose, and if one is, it is masked."""
    for key in _REDACTED_KEYS.intersection(event):
        event[key] = "[redacted]"
    return event


def _renderer(log_format: str) -> structlog.types.Processor:
    """The last step of every line. 'auto' is console only when a person reads stdout."""
    if log_format == "auto":
        log_format = "console" if sys.stdout.isatty() else "json"
    if log_format == "console":
        return structlog.dev.ConsoleRenderer(
            colors=True, exception_formatter=structlog.dev.plain_traceback
        )
    return structlog.processors.JSONRenderer(ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO", log_format: str = "auto") -> None:
    console = log_format == "console" or (log_format == "auto" and sys.stdout.isatty())
    renderer = _renderer(log_format)
    # JSON names the event "message" (what log pipelines expect); the console keeps "event",
    # which its renderer puts first on the line.
    rename: list[structlog.types.Processor] = (
        [] if console else [structlog.processors.EventRenamer("message")]
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_secrets,
    ]
    structlog.configure(
        processors=[
            *shared,
            # Tracebacks as data, without the frames' local variables: a request handler's
            # locals hold what the customer sent (a password at log-in). The fault suite found
            # them in the log of a log-in that failed while the database was down.
            *(
                []
                if console
                else [
                    structlog.processors.ExceptionRenderer(
                        structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                    )
                ]
            ),
            *rename,
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *rename,
                renderer,
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
