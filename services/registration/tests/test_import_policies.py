"""The operator's CSV import: good rows reach policy.records (and the eligibility view), bad rows
are reported with their line number and the import goes on."""

from pathlib import Path

from devinfra.testing import eventually
from registration_harness import RegistrationService

CSV = Path(__file__).parent / "data" / "policies_with_bad_rows.csv"  # with a BOM, as Excel saves


async def test_good_rows_are_published_and_bad_rows_reported_by_line(
    registration: RegistrationService,
) -> None:
    imported = registration.operator_command("registration.import_policies", str(CSV))
    assert imported.returncode == 2  # some rows were refused
    assert "imported 2 policies, refused 3 rows" in imported.stdout
    assert (
        "line 4: refused: contract_type 'corporate' is not individual or group" in imported.stderr
    )
    assert "line 5: refused: date_of_birth '昨日' is not a date" in imported.stderr
    assert "line 6: refused: policy_number is missing" in imported.stderr

    pool = registration.app.state.journeys.policies.pool

    async def both_recorded() -> list | None:
        rows = await pool.fetch(
            "SELECT policy_number, contract_type, code_state FROM policies "
            "WHERE policy_number LIKE '%7700%' ORDER BY policy_number"
        )
        return rows if len(rows) == 2 else None

    rows = await eventually(both_recorded)
    assert [tuple(r) for r in rows] == [
        ("A77000001", "individual", "issued"),
        ("B77000002", "group", "masked"),
    ]
    started = await registration.start("A-7700-0001", "483921")
    assert started.status_code == 201, started.json()
