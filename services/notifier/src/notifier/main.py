"""Composition root of the notifier service: the one place that builds clients from settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiosmtplib
from fastapi import FastAPI

from claims_shared.auth import TOKEN_VERIFIER, KeyFetcher, identity_token_verifier
from claims_shared.clock import Clock, system_clock
from claims_shared.events import topics
from claims_shared.migrations import migrate
from claims_shared.service import open_resources, supervised
from claims_shared.web import create_service_app
from notifier.api import CONTACT_DESK, ERRORS, PREFERENCES, ContactDesk, customer_router
from notifier.handlers import (
    CustomerDirectory,
    CustomerTable,
    Mailer,
    NoticeSchedule,
    NotificationService,
)
from notifier.notices import StatusNoticeSweeper, StatusNoticeTable
from notifier.preferences import NotificationPreferences, PreferenceTable
from notifier.push_api import PUSH_REGISTRY, PushRegistry
from notifier.push_api import customer_router as push_router
from notifier.push_notices import NoticePushes
from notifier.push_sending import PyWebPushSender, vapid_public_key
from notifier.push_subscriptions import PushSubscriptionTable
from notifier.schema import SCHEMA
from notifier.sending import MailSender
from notifier.settings import NotifierSettings

SUBSCRIBED = [topics.REGISTRATION_EVENTS, topics.IDENTITY_EVENTS, topics.CLAIM_STATUS_EVENTS]


@dataclass(frozen=True)
class NotifierPorts:
    """What the handlers need from outside: the lifespan passes the notifier's tables and the
    SMTP sender; the fast tests pass in-memory ones (tests/fast)."""

    customers: CustomerDirectory
    notices: NoticeSchedule
    sender: Mailer
    preferences: NotificationPreferences


def wire(settings: NotifierSettings, ports: NotifierPorts) -> NotificationService:
    """What each event means for the customer's mailbox, from its ports: no client is opened."""
    return NotificationService(
        customers=ports.customers,
        notices=ports.notices,
        sender=ports.sender,
        preferences=ports.preferences,
        sealing_private_key=settings.sealing_private_key,
        previous_sealing_private_keys=settings.previous_sealing_private_keys,
        contact_desk=settings.contact_desk,
        status_mail_window_seconds=settings.status_mail_window_seconds,
    )


def build(
    settings: NotifierSettings, clock: Clock = system_clock, fetch_keys: KeyFetcher | None = None
) -> FastAPI:
    """`fetch_keys` defaults to identity's JWKS over HTTP; tests pass their own key set."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, app) as resources:
            await migrate(SCHEMA, settings.database_url)
            sender = MailSender(resources.pool, settings)
            preferences = PreferenceTable(resources.pool)
            ports = NotifierPorts(
                CustomerTable(resources.pool),
                StatusNoticeTable(resources.pool),
                sender,
                preferences,
            )
            PREFERENCES.put(app, preferences)
            subscriptions = PushSubscriptionTable(resources.pool)
            PUSH_REGISTRY.put(app, push_registry(settings, subscriptions))
            TOKEN_VERIFIER.put(app, identity_token_verifier(settings, clock, fetch_keys))
            notifications = wire(settings, ports)
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
                window_seconds=settings.status_mail_window_seconds,
                retry_seconds=settings.send_retry_seconds,
                preferences=preferences,
                pushes=NoticePushes(subscriptions, preferences, push_sender(settings)),
            )
            async with supervised([consumer, sweeper]):
                yield

    app = create_service_app(
        settings=settings,
        routers=[customer_router, push_router],
        lifespan=lifespan,
        clock=clock,
        errors=ERRORS,
    )
    CONTACT_DESK.put(app, ContactDesk(desk=settings.contact_desk))
    return app


def push_registry(settings: NotifierSettings, subscriptions: PushSubscriptionTable) -> PushRegistry:
    return PushRegistry(
        subscriptions,
        vapid_public_key(settings.vapid_private_key),
        allow_test_loopback=settings.push_allow_loopback_for_tests,
    )


def push_sender(settings: NotifierSettings) -> PyWebPushSender:
    return PyWebPushSender(
        vapid_private_key=settings.vapid_private_key,
        vapid_subject=settings.vapid_subject,
        ttl_seconds=settings.push_ttl_seconds,
        timeout_seconds=settings.push_timeout_seconds,
        allow_test_loopback=settings.push_allow_loopback_for_tests,
    )


def create_app() -> FastAPI:
    """For `uvicorn --factory notifier.main:create_app`."""
    return build(NotifierSettings())
