"""Helpers for tests that talk to the real broker: publish, wait for a message, wait for a
condition. Bounded waits only; a test that waits forever tells nobody anything."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

T = TypeVar("T")


async def publish(bootstrap: str, topic: str, key: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
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


async def find_envelopes(
    bootstrap: str,
    topic: str,
    match: Callable[[dict[str, Any]], bool],
    expected: int = 1,
    timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """Read `topic` from the start until `expected` JSON envelopes match (or time runs out)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for record in records:
                    envelope = json.loads(record.value)
                    if match(envelope):
                        found.append(envelope)
    finally:
        await consumer.stop()
    return found
