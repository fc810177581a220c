"""The claims department's list of payment deadlines near or passed, from the service's database.

    python -m claim_status.deadlines [--within DAYS] [--today YYYY-MM-DD] [--json]

Every complete claim still to be paid whose deadline (a coverage's, or the claim's while it
names none) falls within DAYS (CLAIM_STATUS_DEADLINE_WARNING_DAYS, 7) or has passed, soonest
first: claim number, policy number, coverage, deadline, days left (negative once passed) and the
extension's reason. Reads CLAIM_STATUS_DATABASE_URL, CLAIM_STATUS_READ_MODEL_VERSION and
CLAIM_STATUS_PAYMENT_TERMS_FILE as the service does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime

import asyncpg

from claim_status.deadline_watch import DueClaim, due_within, japan_today
from claim_status.deadlines import PaymentTerms, load_terms
from claim_status.read_model import ClaimReadModel
from claim_status.settings import ClaimStatusSettings

COLUMNS = ("claim_number", "policy_number", "coverage", "deadline", "days_left", "extension")


async def read(
    settings: ClaimStatusSettings, terms: PaymentTerms, today: date, within: int
) -> list[DueClaim]:
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        read_model = ClaimReadModel(settings.read_model_version)
        return await due_within(pool, read_model, terms, today, within)
    finally:
        await pool.close()


def row(due: DueClaim) -> dict[str, object]:
    extension = due.deadline.extension
    return {
        "claim_number": due.claim_number,
        "policy_number": due.policy_number,
        "coverage": due.coverage or "-",
        "deadline": due.deadline.due_on.isoformat(),
        "days_left": due.days_left,
        "extension": extension.reason if extension else "-",
    }


def main(argv: list[str] | None = None) -> int:
    settings = ClaimStatusSettings()
    parser = argparse.ArgumentParser(
        prog="python -m claim_status.deadlines",
        description="Unpaid complete claims whose payment deadline is near or passed.",
    )
    parser.add_argument(
        "--within",
        type=int,
        default=settings.deadline_warning_days,
        metavar="DAYS",
        help="deadlines this many days ahead, and every one passed "
        "(default: CLAIM_STATUS_DEADLINE_WARNING_DAYS, %(default)s)",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="count days left from this day (default: today in Japan)",
    )
    parser.add_argument("--json", action="store_true", help="JSON rows instead of a TSV table")
    arguments = parser.parse_args(argv)
    today = arguments.today or japan_today(datetime.now(UTC))
    terms = load_terms(settings.payment_terms_file)
    rows = [row(due) for due in asyncio.run(read(settings, terms, today, arguments.within))]
    if arguments.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print("\t".join(COLUMNS))
    for found in rows:
        print("\t".join(str(found[column]) for column in COLUMNS))
    print(f"{len(rows)} deadline(s) within {arguments.within} days of {today}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
