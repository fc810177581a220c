"""Exceptions are logged with their traceback but without the frames' local variables, which
hold what customers sent (found by the fault suite: a log-in's password, logged when the
database was down)."""

from __future__ import annotations

import io
import json
import re
import sys

from claims_shared.logging import configure_logging, get_logger


def test_an_exception_is_logged_without_the_locals_of_its_frames() -> None:
    def log_in(password: str) -> None:
        raise ConnectionRefusedError("the database is down")

    buffer, real_stdout = io.StringIO(), sys.stdout
    sys.stdout = buffer
    try:
        configure_logging("identity")
        try:
            log_in("my secret passphrase")
        except ConnectionRefusedError:
            get_logger("test_logging").exception("unhandled error", path="/api/v1/sessions")
    finally:
        sys.stdout = real_stdout
        configure_logging("tests")  # the tests after this one log where they did before
    line = buffer.getvalue().strip().splitlines()[-1]
    assert "my secret passphrase" not in line
    logged = json.loads(line)
    assert logged["exception"][0]["exc_type"] == "ConnectionRefusedError"
    assert logged["exception"][0]["frames"], "the traceback is still there"


def test_a_person_at_a_terminal_reads_one_line_an_event_not_json() -> None:
    """`make up` asks for LOG_FORMAT=console when a person watches it; the secrets guard and
    the no-locals rule hold there too."""

    def log_in(password: str) -> None:
        raise ConnectionRefusedError("the database is down")

    buffer, real_stdout = io.StringIO(), sys.stdout
    sys.stdout = buffer
    try:
        configure_logging("identity", log_format="console")
        log = get_logger("test_logging")
        typed = "my secret " + "passphrase"  # not in the source lines a traceback shows
        log.info("log-in refused", email="taro@example.jp", password=typed)
        try:
            log_in(typed)
        except ConnectionRefusedError:
            log.exception("unhandled error")
    finally:
        sys.stdout = real_stdout
        configure_logging("tests")
    text = re.sub(r"\x1b\[[0-9;]*m", "", buffer.getvalue())  # the colours
    lines = text.splitlines()
    assert "log-in refused" in lines[0] and "email=taro@example.jp" in lines[0]
    assert "password=[redacted]" in lines[0]
    assert not lines[0].lstrip().startswith("{"), "not JSON"
    assert "ConnectionRefusedError: the database is down" in text
    assert "my secret passphrase" not in text
