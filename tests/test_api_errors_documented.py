"""What each service's OpenAPI document promises for a refusal is its error table's row: the
status, the `{code, message}` schema, and the codes a client may meet. And no route reaches into
app.state: what a route needs comes as a typed dependency that the composition root wired."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from claim_status.api import ACCIDENT_NOT_FOUND
from claim_status.api import ERRORS as CLAIM_STATUS_ERRORS
from claim_status.domain import InvalidUpdate
from claim_status.main import build as build_claim_status
from claim_status.settings import ClaimStatusSettings
from claims_shared.errors import ErrorTable
from claims_shared.throttle import TooManyAttempts
from identity.api import ERRORS as IDENTITY_ERRORS
from identity.application import InvalidCredentials, TemporaryPasswordExpired
from identity.main import build as build_identity
from identity.settings import IdentitySettings
from registration.api import ERRORS as REGISTRATION_ERRORS
from registration.journeys import ContractNotEligible, ProcedureCodeUnavailable
from registration.main import build as build_registration
from registration.settings import RegistrationSettings

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
ROOT = Path(__file__).resolve().parents[1]


def _responses(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def _schema(response: dict[str, Any]) -> Any:
    return response["content"]["application/json"]["schema"]


def _codes(table: ErrorTable, *errors: Exception) -> list[str]:
    return [table.refusal(error).code for error in errors]


def test_log_in_documents_its_401_and_429_from_identitys_table() -> None:
    document = build_identity(IdentitySettings()).openapi()
    responses = _responses(document, "post", "/api/v1/sessions")
    assert _schema(responses["401"]) == ERROR_BODY
    assert _schema(responses["429"]) == ERROR_BODY
    refused = _codes(IDENTITY_ERRORS, InvalidCredentials(), TemporaryPasswordExpired())
    assert refused == ["invalid_credentials", "temporary_password_expired"]
    assert all(f"`{code}`" in responses["401"]["description"] for code in refused)
    throttled = IDENTITY_ERRORS.refusal(TooManyAttempts(datetime.now(UTC)))
    assert (throttled.status, throttled.code) == (429, "too_many_attempts")
    assert f"`{throttled.code}`" in responses["429"]["description"]
    assert "`account_locked`" in responses["429"]["description"]
    schema = document["components"]["schemas"]["ErrorBody"]
    assert set(schema["required"]) == {"code", "message"}


def test_the_procedure_code_step_documents_registrations_refusals() -> None:
    document = build_registration(RegistrationSettings()).openapi()
    responses = _responses(document, "post", "/api/v1/registrations/procedure-code")
    for status, error in (("403", ContractNotEligible()), ("410", ProcedureCodeUnavailable())):
        assert _schema(responses[status]) == ERROR_BODY
        assert f"`{REGISTRATION_ERRORS.refusal(error).code}`" in responses[status]["description"]


def test_an_accident_of_someone_else_is_documented_as_the_same_404() -> None:
    document = build_claim_status(ClaimStatusSettings()).openapi()
    responses = _responses(document, "get", "/api/v1/me/accidents/{claim_id}")
    assert _schema(responses["404"]) == ERROR_BODY
    assert responses["404"]["description"] == ACCIDENT_NOT_FOUND.description
    updates = _responses(document, "post", "/api/v1/adjuster/claims/{claim_id}/updates")
    assert _schema(updates["422"]) == ERROR_BODY
    assert (
        CLAIM_STATUS_ERRORS.responses_for(InvalidUpdate)[422]["description"]
        in (updates["422"]["description"])
    )


@pytest.mark.parametrize("module", sorted(ROOT.glob("services/*/src/*/api.py")), ids=str)
def test_no_route_reaches_into_app_state(module: Path) -> None:
    source = module.read_text()
    assert "app.state" not in source
    assert "request.app" not in source
