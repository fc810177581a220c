"""Exceptions are logged with their traceback but without the frames' local variables, which
hold what customers sent (found by the fault suite: a log-in's password, logged when the
database was down)."""

from __future__ import annotations

import io
import json
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
