"""In-memory stand-ins for registration's ports (registration.main.RegistrationPorts), and the
opener `build(ports=...)` takes instead of PostgreSQL and Kafka. test_ports.py checks the policy
book's behaviour against PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from fastapi import FastAPI

from claims_shared.service import Worker
from claims_shared.testing import POPO, InMemoryFailureLog
from registration.application import Registrations
from registration.domain import Policy
from registration.journeys import PolicyBook
from registration.main import RegistrationPorts
from registration.settings import RegistrationSettings
from registration.typing_rules import policy_number


class InMemoryPolicyBook:
    """The eligibility view in a dict by normalised policy number: the latest record wins."""

    def __init__(self) -> None:
        self.policies: dict[str, Policy] = {}

    def record(self, policy: Policy) -> None:
        """As the policy.records consumer does: under its number as customers type it, folded."""
        number = policy_number(policy.policy_number)
        self.policies[number] = replace(policy, policy_number=number)

    async def find(self, number: str) -> Policy | None:
        return self.policies.get(number)


def in_memory_ports() -> RegistrationPorts:
    return RegistrationPorts(Registrations(env=POPO), InMemoryPolicyBook(), InMemoryFailureLog())


def opening(ports: RegistrationPorts) -> Any:
    """A `build(ports=...)` opener that hands over `ports` and runs no workers."""

    @asynccontextmanager
    async def open_in_memory(
        settings: RegistrationSettings, app: FastAPI
    ) -> AsyncIterator[tuple[RegistrationPorts, list[Worker]]]:
        yield ports, []

    return open_in_memory


_book: type[PolicyBook] = InMemoryPolicyBook  # mypy: the fake fits the port
