"""A real notifier per test: its own database and topic prefix, the session's broker and SMTP
server; mails are read back from the SMTP server's JSON listing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from claims_shared.events import EventData, encode, new_envelope
from devinfra.testing import ManualClock, in_process, publish, topic_prefix
from notifier.main import build
from notifier.settings import NotifierSettings


@dataclass
class NotifierService:
    app: FastAPI
    settings: NotifierSettings
    bootstrap: str
    mail_web_url: str

    async def publish(
        self, data: EventData, key: str, event_id: uuid.UUID | None = None
    ) -> uuid.UUID:
        envelope = new_envelope(data, producer="test", event_id=event_id)
        await publish(
            self.bootstrap, self.settings.kafka_topic_prefix + data.topic, key, encode(envelope)
        )
        return envelope.event_id

    async def customer_known(self, customer_id: str) -> bool:
        """The customer directory (from registration.events) has this customer."""
        conn = await asyncpg.connect(self.settings.database_url)
        try:
            return bool(
                await conn.fetchval("SELECT 1 FROM customers WHERE customer_id = $1", customer_id)
            )
        finally:
            await conn.close()

    async def mails_to(self, address: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            listing = (await client.get(f"{self.mail_web_url}/api/messages")).json()
        return [m for m in listing if address in m["to"]]


def notifier_settings(infrastructure: Any, database_url: str, **overrides: Any) -> NotifierSettings:
    fields: dict[str, Any] = {
        "database_url": database_url,
        "kafka_bootstrap_servers": infrastructure.kafka_bootstrap_servers,
        "kafka_topic_prefix": topic_prefix(),
        "smtp_host": infrastructure.smtp_host,
        "smtp_port": infrastructure.smtp_port,
        "customer_web_url": "https://www.example-insurer.jp/web",
    }
    return NotifierSettings(**{**fields, **overrides})


@pytest.fixture
async def notifier(infrastructure: Any, database_url: str) -> AsyncIterator[NotifierService]:
    settings = notifier_settings(infrastructure, database_url)
    app = build(settings, clock=ManualClock())
    async with in_process(app):
        yield NotifierService(
            app, settings, infrastructure.kafka_bootstrap_servers, infrastructure.mail_web_url
        )


def unique_email() -> str:
    return f"hanako.{uuid.uuid4().hex[:8]}@example.jp"
