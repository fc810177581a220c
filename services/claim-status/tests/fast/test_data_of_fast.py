"""`data_of` makes what pydantic's model_construct made of an update's stored data, for every
kind and every set of fields a stored update may hold (an older release's included), so the
Claim and the read model fold exactly what they folded before it was made faster."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from claim_status.domain import UPDATE_KINDS, data_of
from claims_shared.events.claims import UpdateType


def _field_sets(names: list[str]) -> list[tuple[str, ...]]:
    """Every subset of the fields, up to 2^n for the kinds' few fields."""
    return [subset for size in range(len(names) + 1) for subset in combinations(names, size)]


def _same(made: Any, constructed: Any) -> None:
    assert type(made) is type(constructed)
    assert list(made.__dict__.items()) == list(constructed.__dict__.items())  # order too
    assert made.model_fields_set == constructed.model_fields_set
    assert made.__pydantic_extra__ == constructed.__pydantic_extra__
    assert made.__pydantic_private__ == constructed.__pydantic_private__
    assert repr(made) == repr(constructed)
    assert made.model_dump(mode="json", exclude_unset=True, warnings=False) == (
        constructed.model_dump(mode="json", exclude_unset=True, warnings=False)
    )


@pytest.mark.parametrize("kind", sorted(UPDATE_KINDS))
def test_data_of_is_model_construct_for_every_set_of_stored_fields(kind: UpdateType) -> None:
    model = UPDATE_KINDS[kind].data
    names = list(model.model_fields)
    for subset in _field_sets(names):
        stored: dict[str, object] = {name: f"value of {name}" for name in reversed(subset)}
        _same(data_of(kind, dict(stored)), model.model_construct(None, **dict(stored)))


@pytest.mark.parametrize("kind", sorted(UPDATE_KINDS))
def test_a_field_the_model_no_longer_has_is_dropped_as_model_construct_drops_it(
    kind: UpdateType,
) -> None:
    model = UPDATE_KINDS[kind].data
    stored: dict[str, object] = {name: 1 for name in model.model_fields} | {"retired": "x"}
    made = data_of(kind, dict(stored))
    _same(made, model.model_construct(None, **dict(stored)))
    assert "retired" not in made.__dict__


def test_data_of_leaves_the_stored_dict_as_it_was() -> None:
    stored: dict[str, object] = {"stage": "investigating"}
    data_of("stage_changed", stored)
    assert stored == {"stage": "investigating"}
