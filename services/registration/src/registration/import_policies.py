"""Import policies from a CSV file onto policy.records (for the demo and the insurer's first load).

    python -m registration.import_policies FILE.csv

Columns: policy_number, contract_type (individual/group, or 個人/団体), customer_id, full_name,
full_name_kana, date_of_birth, procedure_code (the code as printed; hashed here with argon2id,
never sent in clear; `*****` or empty means masked), procedure_code_state (optional: issued,
masked, used, expired), procedure_code_expires_on (optional), valid_from, valid_to.
Dates as people type them (1980-05-17, 1980/5/17, 昭和55年5月17日). Each bad row is reported with
its line number and the import goes on; the exit status is 2 when any row was refused.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from claims_shared.events import PolicyRecorded, new_envelope
from claims_shared.kafka import EventPublisher
from claims_shared.passwords import hash_password
from registration.settings import RegistrationSettings
from registration.typing_rules import UnreadableDate, birth_date, policy_number

CONTRACT_TYPES = {
    "individual": "individual",
    "個人": "individual",
    "group": "group",
    "団体": "group",
}
MASKED = {"", "*****", "＊＊＊＊＊"}


class BadRow(ValueError):
    pass


def _date(row: dict[str, str], column: str, required: bool = True) -> Any:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            raise BadRow(f"{column} is missing")
        return None
    try:
        return birth_date(value)
    except UnreadableDate as error:
        raise BadRow(f"{column} {value!r} is not a date") from error


def policy_from_row(row: dict[str, str]) -> PolicyRecorded:
    number = policy_number(row.get("policy_number") or "")
    if not number:
        raise BadRow("policy_number is missing")
    contract = CONTRACT_TYPES.get((row.get("contract_type") or "").strip().lower())
    if contract is None:
        raise BadRow(f"contract_type {row.get('contract_type')!r} is not individual or group")
    code = (row.get("procedure_code") or "").strip()
    state = (row.get("procedure_code_state") or "").strip() or (
        "masked" if code in MASKED else "issued"
    )
    try:
        return PolicyRecorded.model_validate(
            {
                "policy_number": number,
                "contract_type": contract,
                "customer_id": (row.get("customer_id") or "").strip(),
                "holder": {
                    "full_name": (row.get("full_name") or "").strip(),
                    "full_name_kana": (row.get("full_name_kana") or "").strip(),
                    "date_of_birth": _date(row, "date_of_birth"),
                },
                "procedure_code": {
                    "state": state,
                    "hash": hash_password(code) if code not in MASKED else None,
                    "expires_on": _date(row, "procedure_code_expires_on", required=False),
                },
                "valid_from": _date(row, "valid_from"),
                "valid_to": _date(row, "valid_to"),
            }
        )
    except ValidationError as error:
        first = error.errors()[0]
        raise BadRow(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from error


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:  # Excel writes a BOM
        yield from enumerate(csv.DictReader(handle), start=2)


async def import_file(path: Path, settings: RegistrationSettings) -> tuple[int, int]:
    publisher = EventPublisher(
        settings.kafka_bootstrap_servers,
        "policy-import",
        settings.kafka_topic_prefix,
        settings.kafka_options(),
    )
    await publisher.start()
    imported = refused = 0
    try:
        for line, row in read_rows(path):
            try:
                policy = policy_from_row(row)
            except BadRow as error:
                refused += 1
                print(f"line {line}: refused: {error}", file=sys.stderr)
                continue
            await publisher.publish(
                policy.topic, policy.policy_number, new_envelope(policy, producer="policy-import")
            )
            imported += 1
    finally:
        await publisher.stop()
    return imported, refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m registration.import_policies", description=__doc__.split("\n")[0]
    )
    parser.add_argument("csv_file", type=Path)
    args = parser.parse_args(argv)
    imported, refused = asyncio.run(import_file(args.csv_file, RegistrationSettings()))
    print(f"imported {imported} policies, refused {refused} rows")
    return 2 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
