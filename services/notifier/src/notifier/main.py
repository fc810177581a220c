"""Composition root of the notifier service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosmtplib
from fastapi import FastAPI

from claims_shared.clock import Clock, system_clock
from claims_shared.events import topics
from claims_shared.migrations import migrate
from claims_shared.service import open_resources, supervised
from claims_shared.web import create_service_app
from notifier.handlers import Notifications
from notifier.notices import StatusNoticeSweeper
from notifier.schema import SCHEMA
from notifier.sending import MailSender
from notifier.settings import NotifierSettings

SUBSCRIBED = [topics.REGISTRATION_EVENTS, topics.IDENTITY_EVENTS, topics.CLAIM_STATUS_EVENTS]


def build(settings: NotifierSettings, clock: Clock = system_clock) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, app) as resources:
            await migrate(SCHEMA, settings.database_url)
            sender = MailSender(resources.pool, settings)
            notifications = Notifications(
                pool=resources.pool,
                sender=sender,
                sealing_private_key=settings.sealing_private_key,
                previous_sealing_private_keys=tuple(
                    key.strip()
                    for key in settings.previous_sealing_private_keys.split(",")
                    if key.strip()
                ),
                web_url=settings.customer_web_url,
                contact_desk=settings.contact_desk,
                status_mail_window_seconds=settings.status_mail_window_seconds,
            )
            consumer = resources.consumer(
                SUBSCRIBED,
                notifications.routes(),
                max_attempts=settings.max_send_attempts,
                retry_backoff=settings.send_retry_seconds,
                transient=(aiosmtplib.SMTPException,),  # a refusal may pass on a later try
            )
            sweeper = StatusNoticeSweeper(
                resources.pool,
                sender,
                web_url=settings.customer_web_url,
                window_seconds=settings.status_mail_window_seconds,
                retry_seconds=settings.send_retry_seconds,
            )
            async with supervised([consumer, sweeper]):
                yield

    return create_service_app(settings=settings, lifespan=lifespan, clock=clock)


def create_app() -> FastAPI:
    """For `uvicorn --factory notifier.main:create_app`."""
    return build(NotifierSettings())
