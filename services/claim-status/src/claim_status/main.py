"""Composition root of the claim-status service: the one place that builds clients from settings."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from claim_status.settings import ClaimStatusSettings
from claims_shared.service import open_resources
from claims_shared.settings import ServiceSettings
from claims_shared.web import create_service_app


def build(settings: ServiceSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, app):
            yield

    return create_service_app(settings=settings, lifespan=lifespan)


def create_app() -> FastAPI:
    """For `uvicorn --factory claim_status.main:create_app`."""
    return build(ClaimStatusSettings())
