"""In-memory stand-ins for the intake's ports (claim_status.main.ClaimStatusPorts). test_ports.py
checks the held updates' behaviour against PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from claim_status.application import Claims
from claim_status.intake import HeldUpdate, HeldUpdates
from claim_status.main import ClaimStatusPorts
from claims_shared.events import AdjusterUpdate
from claims_shared.testing import POPO, FakePublisher


@dataclass(frozen=True)
class _Held:
    update: HeldUpdate
    held_at: datetime


class InMemoryHeldUpdates:
    """The held_updates table in a dict by update id: holding one again changes nothing (its
    primary key), a claim's first is its lowest sequence."""

    def __init__(self) -> None:
        self.held: dict[str, _Held] = {}

    async def claims_holding(self, claim_ids: set[str]) -> list[str]:
        return sorted({h.update.claim_id for h in self.held.values()} & claim_ids)

    async def hold(self, update: AdjusterUpdate, at: datetime) -> None:
        held = HeldUpdate(
            str(update.update_id), update.claim_id, update.sequence, update.model_dump_json()
        )
        self.held.setdefault(held.update_id, _Held(held, at))

    async def first_of(self, claim_id: str) -> HeldUpdate | None:
        of_claim = [h.update for h in self.held.values() if h.update.claim_id == claim_id]
        return min(of_claim, key=lambda held: held.sequence, default=None)

    async def held_before(self, cutoff: datetime) -> list[HeldUpdate]:
        expired = [h.update for h in self.held.values() if h.held_at < cutoff]
        return sorted(expired, key=lambda held: (held.claim_id, held.sequence))

    async def remove(self, update_id: str) -> None:
        self.held.pop(update_id, None)

    async def count(self) -> int:
        return len(self.held)


def in_memory_ports() -> ClaimStatusPorts:
    return ClaimStatusPorts(Claims(env=POPO), InMemoryHeldUpdates(), FakePublisher())


_held: type[HeldUpdates] = InMemoryHeldUpdates  # mypy: the fake fits the port
