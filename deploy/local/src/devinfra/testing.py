"""Helpers for tests that talk to the real broker: publish, wait for a message, wait for a
condition. Bounded waits only; a test that waits forever tells nobody anything. They act as the
operator principal (tests' set-up and checks) on a secured broker."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from fastapi import FastAPI

from devinfra.kafka_clients import client, grant_prefix
from devinfra.paths import free_port, port_answers

T = TypeVar("T")


async def publish(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(**client(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


async def eventually(
    check: Callable[[], Awaitable[T | None]], timeout: float = 30.0, interval: float = 0.2
) -> T:
    """The first truthy result of `check`, retried until `timeout`."""
    deadline = time.monotonic() + timeout
    result: T | None = None
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(interval)
    raise AssertionError(f"not true within {timeout}s (last result: {result!r})")


async def read_records(
    bootstrap: str, topic: str, expected: int, timeout: float = 30.0
) -> list[ConsumerRecord]:
    """Read `topic` from the start until `expected` records (or time runs out)."""
    return await _read(bootstrap, topic, lambda record: True, expected, timeout)


async def find_envelopes(
    bootstrap: str,
    topic: str,
    match: Callable[[dict[str, Any]], bool],
    expected: int = 1,
    timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """Read `topic` from the start until `expected` JSON envelopes match (or time runs out)."""
    records = await _read(
        bootstrap, topic, lambda record: match(json.loads(record.value)), expected, timeout
    )
    return [json.loads(record.value) for record in records]


def reader_from_start(bootstrap: str, topic: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer in no group that reads `topic` from its first record and commits nothing, so
    a check (or a bench) sees everything without moving any service's offsets (as the
    operator, on a secured broker)."""
    return AIOKafkaConsumer(
        topic,
        **client(bootstrap),
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **options,
    )


async def _read(
    bootstrap: str,
    topic: str,
    keep: Callable[[ConsumerRecord], bool],
    expected: int,
    timeout: float,
) -> list[ConsumerRecord]:
    consumer = reader_from_start(bootstrap, topic, isolation_level="read_committed")
    await consumer.start()
    found: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(record for record in records if keep(record))
    finally:
        await consumer.stop()
    return found


@dataclass
class ManualClock:
    """The clock services take as a parameter; tests move it. Starts on a Wednesday morning
    (outside the Monday maintenance window)."""

    now: datetime = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def topic_prefix() -> str:
    """A KAFKA_TOPIC_PREFIX no other test uses: every topic a test's services touch is its own.
    On a secured broker each principal is granted its topics under the prefix, as it is on the
    unprefixed ones (devinfra.kafka_acls)."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    grant_prefix(prefix)
    return prefix


@asynccontextmanager
async def in_process(
    app: FastAPI, base_url: str = "http://service"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (its workers included) and talk to it over ASGI."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


@contextmanager
def serve_http(app: FastAPI, timeout: float = 30.0) -> Iterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port, in a thread, the way `make up` runs
    it; yields the base URL. For tests that need a real HTTP peer (JWKS, the gateway)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not port_answers(port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not answer on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
