"""An open-loop load: requests sent on a fixed schedule whatever the answers do, each timed from
the moment it was due (not from when a connection was free), so a slow server cannot slow the load
down and hide its own queue (coordinated omission). Rates rise step by step until the p99 passes
a bound; the knee is the last rate that kept it.

A few hundred lines of raw HTTP/1.1 over asyncio streams, not httpx: the client shares a
two-core machine with the server under test and must cost it far less than the server does.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

Request = bytes
"""A whole HTTP/1.1 request, headers and body, ready to write."""


def get(path: str, headers: dict[str, str]) -> Request:
    return _request("GET", path, headers, b"")


def post_json(path: str, headers: dict[str, str], body: bytes) -> Request:
    return _request(
        "POST",
        path,
        {**headers, "Content-Type": "application/json", "Content-Length": str(len(body))},
        body,
    )


def _request(method: str, path: str, headers: dict[str, str], body: bytes) -> Request:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connections:
    """Keep-alive connections to one address, opened as the load needs them: one request at a
    time on each, a new one when all are busy (as browsers from many customers would be)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def send(self, request: Request) -> int:
        """The answer's status; a connection the server closed while idle is replaced once."""
        for attempt in range(2):
            fresh = not self.idle
            reader, writer = (
                self.idle.pop()
                if self.idle
                else await asyncio.open_connection("127.0.0.1", self.port)
            )
            try:
                writer.write(request)
                status, keep = await _answer(reader)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError):
                writer.close()
                if fresh or attempt:
                    raise
                continue
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status
        raise ConnectionError("unreachable")

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status_line = await reader.readuntil(b"\r\n")
    if not status_line:
        raise asyncio.IncompleteReadError(b"", None)
    status = int(status_line.split(b" ", 2)[1])
    length, chunked, keep = 0, False, True
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep = b"close" not in value.lower()
    if chunked:
        while (size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    elif length:
        await reader.readexactly(length)
    return status, keep


@dataclass
class Step:
    """One rate held for a few seconds: what was offered, what came back, and how fast."""

    rate: float
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    late: int = 0  # not answered by the end of the step's grace time
    why: Counter[str] = field(default_factory=Counter)  # the failures: a status or an error

    def reasons(self) -> str:
        late = {"unanswered": self.late} if self.late else {}
        return ", ".join(f"{why} ×{n}" for why, n in {**self.why, **late}.items())

    def quantile(self, q: float) -> float:
        """Unanswered requests count as slower than any answer."""
        ordered = sorted(self.latencies) + [float("inf")] * (self.failed + self.late)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("inf")


async def hold(
    connections: Connections,
    next_request: Callable[[], Request],
    rate: float,
    seconds: float,
    grace: float = 5.0,
    expect: int = 200,
) -> Step:
    """`rate` requests a second for `seconds`, each due at its slot and timed from it."""
    step = Step(rate)

    async def one(due: float) -> None:
        try:
            status = await connections.send(next_request())
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            step.failed += 1
            step.why[type(error).__name__] += 1
            return
        if status == expect:
            step.latencies.append(time.perf_counter() - due)
        else:
            step.failed += 1
            step.why[str(status)] += 1

    started = time.perf_counter()
    tasks = []
    for n in range(int(rate * seconds)):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    _done, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    step.late = len(pending)
    if pending:  # connections with a request in flight are dropped with it
        connections.close()
    return step


@dataclass(frozen=True)
class Knee:
    steps: list[Step]
    bound: float

    @property
    def rate(self) -> float:
        """The highest rate held with p99 within the bound and nothing failed (0: none)."""
        kept = [s.rate for s in self.steps if s.quantile(0.99) <= self.bound and not s.failed]
        return max(kept, default=0.0)

    @property
    def answered(self) -> int:
        return sum(len(s.latencies) for s in self.steps)

    def line(self) -> str:
        return ", ".join(
            f"{s.rate:.0f}/s p99 {_ms(s.quantile(0.99))}"
            + (f" ({s.failed + s.late} failed: {s.reasons()})" if s.failed or s.late else "")
            for s in self.steps
        )


def _ms(seconds: float) -> str:
    return "∞" if seconds == float("inf") else f"{seconds * 1000:.0f} ms"


async def find_knee(
    connections: Connections,
    next_request: Callable[[], Request],
    *,
    start: float,
    factor: float = 1.3,
    seconds: float = 3.0,
    bound: float = 0.3,
    max_steps: int = 16,
) -> Knee:
    """Rates from `start`, each `factor` times the last, until the p99 passes `bound` in two
    steps running (one step over it on a shared machine is as often a neighbour's burst)."""
    steps: list[Step] = []
    rate, over = start, 0
    for _ in range(max_steps):
        step = await hold(connections, next_request, rate, seconds)
        steps.append(step)
        over = over + 1 if step.quantile(0.99) > bound or step.failed else 0
        if over == 2:
            break
        rate *= factor
        await asyncio.sleep(0.5)  # the last step's stragglers are gone
    return Knee(steps, bound)


def shuffled(items: list[Request], seed: int = 19) -> Callable[[], Request]:
    """Requests drawn at random (every customer as likely as any other), cheaply."""
    chooser = random.Random(seed)
    return lambda: items[chooser.randrange(len(items))]
