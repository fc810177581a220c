"""The clock every service takes as a parameter: the composition root passes `system_clock`,
tests pass one they move (devinfra.testing.ManualClock), so time-dependent rules (holds expiring,
maintenance windows, temporary passwords, tokens) are tested without waiting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)
