"""The JSON Schemas published in docs/contracts/ and the models the consumers validate with say
the same thing: the files are what the models generate, documents the schema allows are accepted
(but for the rules the schema lists in words), and what the models accept the schema allows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from claims_shared.events import decode
from claims_shared.events.catalogue import UnknownEventType
from claims_shared.events.contracts import rendered
from devinfra.fuzzing import broken, valid

CONTRACTS = Path(__file__).parents[2] / "docs" / "contracts"
RULES_IN_WORDS = (
    "accident_date is after",
    "accident_date is before 2000",
    "paid_on is after",
    "completed_on is after",
    "a resubmit needs its reason",
    "an issued procedure code needs its hash",
    "valid_to is before valid_from",
    "date_of_birth is not a plausible",
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


def schema(name: str) -> dict[str, Any]:
    return json.loads((CONTRACTS / name).read_text(encoding="utf-8"))


def test_the_published_files_are_what_the_models_generate() -> None:
    """If this fails: `python -m claims_shared.events.contracts` and commit docs/contracts/."""
    for name, text in rendered().items():
        assert (CONTRACTS / name).read_text(encoding="utf-8") == text, name


@pytest.mark.parametrize("name", sorted(rendered()))
def test_what_the_schema_allows_the_consumer_accepts(name: str) -> None:
    @FUZZ
    @given(valid(schema(name)))
    def check(document: dict[str, Any]) -> None:
        try:
            decode(json.dumps(document).encode())
        except ValidationError as error:
            assert any(rule in str(error) for rule in RULES_IN_WORDS), error

    check()


@pytest.mark.parametrize("name", sorted(rendered()))
def test_what_the_consumer_accepts_the_schema_allows(name: str) -> None:
    validator = jsonschema_rs.validator_for(schema(name))

    @FUZZ
    @given(valid(schema(name)).flatmap(lambda doc: st.one_of(st.just(doc), broken(doc))))
    def check(document: dict[str, Any]) -> None:
        raw = json.dumps(document)
        try:
            decode(raw.encode())
        except (ValidationError, UnknownEventType):
            return
        assert validator.is_valid(json.loads(raw)), document

    check()
