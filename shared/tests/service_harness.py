"""What every service's test harness holds for the one service a test runs in process: its app, a
client to it, the clock the test moves, its settings (its own database and topic prefix) and the
session's broker. Each service's harness adds what is its own (identity_harness,
registration_harness, claim_status_harness)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

import httpx
from fastapi import FastAPI

from devinfra import kafka_clients
from devinfra.testing import ManualClock, in_process


class KafkaSettings(Protocol):
    @property
    def kafka_bootstrap_servers(self) -> str: ...

    @property
    def kafka_topic_prefix(self) -> str: ...


SettingsT = TypeVar("SettingsT", bound=KafkaSettings)


@dataclass
class ServiceUnderTest(Generic[SettingsT]):
    app: FastAPI
    client: httpx.AsyncClient
    clock: ManualClock
    settings: SettingsT

    @classmethod
    @asynccontextmanager
    async def serving(
        cls, settings: SettingsT, build: Callable[[ManualClock], FastAPI], base_url: str
    ) -> AsyncIterator[Self]:
        """The app `build` makes on a fresh ManualClock, served in process until the block ends."""
        clock = ManualClock()
        app = build(clock)
        async with in_process(app, base_url) as client:
            yield cls(app, client, clock, settings)

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap_servers

    def topic(self, name: str) -> str:
        """This test's own copy of a topic (the service runs under a test topic prefix)."""
        return self.settings.kafka_topic_prefix + name

    def operator_command(
        self, module: str, *arguments: str, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`python -m <module> <arguments>` as an operator runs it, against this service's broker
        and topics; its output as text."""
        return subprocess.run(
            [sys.executable, "-m", module, *arguments],
            env={
                **os.environ,
                **kafka_clients.process_env(self.bootstrap, "operator"),
                "KAFKA_TOPIC_PREFIX": self.settings.kafka_topic_prefix,
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )
