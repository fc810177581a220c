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
        """The answer's status. A kept-alive connection the server closed while it was idle
        (uvicorn after 5 s, nginx after its keepalive_timeout) is dropped and the request sent
        on the next, or on a new one: a browser does the same, and the server never saw it.
        Before, the second stale connection in a row failed the request, and a ramp whose
        stack of idle connections had aged (the bottom ones wait longest) stopped on the
        client's IncompleteReadError at a p99 of 4-8 ms (issue 19). Only a new connection's
        failure is the server's."""
        while True:
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
                if fresh:
                    raise
                continue
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status

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


CLIENT_BEHIND = 0.95
"""A step whose requests left at less than this share of the offered rate measured the client."""


@dataclass
class Step:
    """One rate held for a few seconds: what was offered, what came back, and how fast."""

    rate: float
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    late: int = 0  # not answered by the end of the step's grace time
    why: Counter[str] = field(default_factory=Counter)  # the failures: a status or an error
    lags: list[float] = field(default_factory=list)
    """Per request, how long after its slot the client got to send it (its own queue)."""
    sent_rate: float = 0.0
    """Requests the client actually sent a second over the step: the offered rate, unless the
    client itself could not keep up."""
    client_cpu: float = 0.0
    """The client's CPU over the step, in cores."""

    def reasons(self) -> str:
        late = {"unanswered": self.late} if self.late else {}
        return ", ".join(f"{why} ×{n}" for why, n in {**self.why, **late}.items())

    def quantile(self, q: float) -> float:
        """Unanswered requests count as slower than any answer."""
        ordered = sorted(self.latencies) + [float("inf")] * (self.failed + self.late)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("inf")

    def over(self, bound: float) -> bool:
        return self.quantile(0.99) > bound or bool(self.failed)

    def client_behind(self, bound: float) -> bool:
        """The client, not the server, was the limit: it sent slower than offered, or a
        hundredth of its requests left a tenth of the bound late (their latency, timed from
        the slot, was partly the client's own queue)."""
        lag = sorted(self.lags)[int(len(self.lags) * 0.99)] if self.lags else 0.0
        return self.sent_rate < CLIENT_BEHIND * self.rate or lag > bound / 10


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
    last_sent = [0.0]

    async def one(due: float) -> None:
        sent = time.perf_counter()
        step.lags.append(sent - due)
        last_sent[0] = max(last_sent[0], sent)
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

    started, cpu = time.perf_counter(), time.process_time()
    tasks = []
    for n in range(int(rate * seconds)):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due)))
    _done, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
    step.client_cpu = (time.process_time() - cpu) / (time.perf_counter() - started)
    for task in pending:
        task.cancel()
    step.late = len(pending)
    step.sent_rate = _sent_rate(len(step.lags), rate, last_sent[0] - started)
    if pending:  # connections with a request in flight are dropped with it
        connections.close()
    return step


def _sent_rate(sent: int, rate: float, last_sent: float) -> float:
    """Requests a second the client sent: the span from the first slot to the last send, against
    the span of the slots themselves (a step's count is a whole number: 2.6/s for 3 s is 7)."""
    if sent < 2 or last_sent <= 0:
        return rate
    return (sent - 1) / max(last_sent, (sent - 1) / rate)


@dataclass(frozen=True)
class Knee:
    steps: list[Step]
    bound: float

    @property
    def rate(self) -> float:
        """The highest rate held with p99 within the bound and nothing failed (0: none)."""
        kept = [s.rate for s in self.steps if not s.over(self.bound)]
        return max(kept, default=0.0)

    @property
    def found(self) -> bool:
        """The server's limit: the first step above the knee went over the bound with the client
        keeping up. Otherwise the rate is a floor (the client's knee, or the ramp's top). Later
        steps do not count: a server far past its knee leaves the client thousands of open
        requests, and its own loop lags behind them."""
        first = self._first_over()
        return first is not None and not first.client_behind(self.bound)

    @property
    def client_bound(self) -> bool:
        first = self._first_over()
        return first is not None and first.client_behind(self.bound)

    def _first_over(self) -> Step | None:
        return next((s for s in self.steps if s.rate > self.rate), None)

    @property
    def answered(self) -> int:
        return sum(len(s.latencies) for s in self.steps)

    def verdict(self) -> str:
        if self.found:
            return f"knee {self.rate:.0f} req/s"
        if self.client_bound:
            return f"≥ {self.rate:.0f} req/s: the client's core fell behind, not the server"
        return f"≥ {self.rate:.0f} req/s: the ramp's top"

    def line(self) -> str:
        return ", ".join(_step_line(s, self.bound) for s in self.steps)


def _step_line(step: Step, bound: float) -> str:
    text = f"{step.rate:.0f}/s p99 {_ms(step.quantile(0.99))}"
    if step.failed or step.late:
        text += f" ({step.failed + step.late} failed: {step.reasons()})"
    if step.client_behind(bound):
        text += f" (client sent {step.sent_rate:.0f}/s at {step.client_cpu:.0%} of a core)"
    return text


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
    max_steps: int = 28,
) -> Knee:
    """Rates from `start`, each `factor` times the last, until the p99 passes `bound` in two
    steps running (one step over it on a shared machine is as often a neighbour's burst), or
    the client falls behind the rate it offers in two steps running (past that it measures
    itself). `max_steps` only bounds the time: ×1.3 from 20/s reaches 24,000/s at 28 steps,
    beyond what one client process on one core can send."""
    steps: list[Step] = []
    rate, over = start, 0
    for _ in range(max_steps):
        step = await hold(connections, next_request, rate, seconds)
        steps.append(step)
        over = over + 1 if step.over(bound) or step.client_behind(bound) else 0
        if over == 2:
            break
        rate *= factor
        await asyncio.sleep(0.5)  # the last step's stragglers are gone
    return Knee(steps, bound)


def shuffled(items: list[Request], seed: int = 19) -> Callable[[], Request]:
    """Requests drawn at random (every customer as likely as any other), cheaply."""
    chooser = random.Random(seed)
    return lambda: items[chooser.randrange(len(items))]
