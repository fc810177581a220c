"""The payment deadlines operators follow, read from the customers' read model (each claim's
jsonb document: no table of its own, so a rebuild brings them back too): every deadline still
running on a complete, unpaid claim, for the `claim_status_payment_deadlines` gauge the sweeper
refreshes and for `python -m claim_status.deadlines`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import asyncpg
from prometheus_client import Gauge

from claim_status.deadlines import Deadline, PaymentTerms, dues
from claim_status.read_model import ClaimReadModel, load_document
from claims_shared.clock import Clock
from claims_shared.events.claims import JAPAN, CoverageCode

PAYMENT_DEADLINES = Gauge(
    "claim_status_payment_deadlines",
    "Complete claims still to be paid whose payment deadline is near "
    "(within CLAIM_STATUS_DEADLINE_WARNING_DAYS) or passed",
    ["state"],
)


def japan_today(now: datetime) -> date:
    """The day in Japan: deadlines are days of the Japanese calendar."""
    return now.astimezone(JAPAN).date()


@dataclass(frozen=True)
class DueClaim:
    """One deadline of one claim, with what the claims department quotes on the phone."""

    claim_id: str
    claim_number: str
    policy_number: str
    coverage: CoverageCode | None  # None: the claim's own, while it names no coverage
    deadline: Deadline
    days_left: int  # negative once passed


async def due_within(
    pool: asyncpg.Pool, read_model: ClaimReadModel, terms: PaymentTerms, today: date, days: int
) -> list[DueClaim]:
    """Deadlines still running that fall within `days` of `today` or have passed, soonest
    first."""
    # Without the timeline and the messages: the bulk of a long claim's document, and no
    # deadline reads them (the sweeper runs this every round on every instance).
    rows = await pool.fetch(
        f"SELECT claim_id, detail - 'timeline' - 'messages' AS detail FROM {read_model.table} "
        "WHERE detail ? 'completed_on' AND NOT (detail->>'closed')::boolean"
    )
    found: list[DueClaim] = []
    for row in rows:
        claim = load_document(row["detail"])
        for due in dues(claim, terms):
            left = (due.deadline.due_on - today).days
            if left <= days:
                found.append(
                    DueClaim(
                        claim_id=row["claim_id"],
                        claim_number=claim.get("claim_number", row["claim_id"]),
                        policy_number=claim["policy_number"],
                        coverage=due.coverage,
                        deadline=due.deadline,
                        days_left=left,
                    )
                )
    return sorted(found, key=lambda due: (due.days_left, due.claim_number))


def claims_by_state(found: list[DueClaim]) -> dict[str, int]:
    """Claims, not coverages: a claim is passed if any of its deadlines passed, else near."""
    soonest: dict[str, int] = {}
    for due in found:
        soonest[due.claim_id] = min(due.days_left, soonest.get(due.claim_id, due.days_left))
    passed = sum(1 for left in soonest.values() if left < 0)
    return {"near": len(soonest) - passed, "passed": passed}


@dataclass(frozen=True)
class DeadlineWatch:
    """Refreshes the gauge from the read model; the sweeper calls it on each round."""

    pool: asyncpg.Pool
    read_model: ClaimReadModel
    terms: PaymentTerms
    warning_days: int
    clock: Clock

    async def refresh(self) -> None:
        today = japan_today(self.clock())
        found = await due_within(self.pool, self.read_model, self.terms, today, self.warning_days)
        for state, count in claims_by_state(found).items():
            PAYMENT_DEADLINES.labels(state).set(count)
