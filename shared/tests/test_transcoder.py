"""The stored events' orjson transcoder gives exactly what eventsourcing's JSONTranscoder gave, for
any value an event may hold (the values the json module and orjson disagree on included): the
same object back or the same error, rows the JSONTranscoder wrote read back as it read them, and
rows this one writes readable by the JSONTranscoder (a release rolled back). No database."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoder
from hypothesis import given, settings
from hypothesis import strategies as st

from claims_shared.settings import eventsourcing_env
from claims_shared.transcoder import OrjsonTranscoder


class Coverage(enum.Enum):
    OWN_VEHICLE = "own_vehicle"


def registered(transcoder: Transcoder) -> Transcoder:
    """With the transcodings every application registers (UUID, Decimal, datetime)."""
    assert isinstance(transcoder, JSONTranscoder)
    Application().register_transcodings(transcoder)
    return transcoder


BEFORE = registered(JSONTranscoder())
NOW = registered(OrjsonTranscoder())


def outcome(step: Any, *args: Any) -> str:
    """What a call gives, comparable across the two transcoders: the repr of its result (types,
    NaN and -0.0 included) or the type of the error it raises."""
    try:
        return repr(step(*args))
    except Exception as error:
        return f"raises {type(error).__name__}"


def marker(name: st.SearchStrategy[str], data: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries({"_type_": name, "_data_": data})


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 3, max_value=2**64 + 3),
    st.integers(min_value=-(2**63) - 3, max_value=-(2**63) + 3),
    st.floats(),
    st.text(),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Lo"])),  # lone surrogates too
    st.uuids(),
    st.decimals(),
    st.datetimes(timezones=st.sampled_from([None, UTC])),
    st.dates(),
    st.just(Coverage.OWN_VEHICLE),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=2),
        marker(st.sampled_from(["uuid_hex", "decimal_str", "datetime_iso", "other"]), inner),
        marker(st.just("datetime_iso"), st.datetimes().map(datetime.isoformat)),
    ),
    max_leaves=12,
)
plain_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.text(),
        st.datetimes(timezones=st.just(UTC)),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
"""What claim-status's events hold: str, int, bool, None, lists and dicts, and the timestamp."""


@settings(max_examples=1500, deadline=None)
@given(values)
def test_any_value_encodes_and_reads_back_as_with_the_json_module(value: Any) -> None:
    before = outcome(lambda: BEFORE.decode(BEFORE.encode(value)))
    assert outcome(lambda: NOW.decode(NOW.encode(value))) == before
    written_before = outcome(BEFORE.encode, value)
    if not written_before.startswith("raises"):
        stored = BEFORE.encode(value)
        assert outcome(NOW.decode, stored) == outcome(BEFORE.decode, stored)
        assert outcome(BEFORE.decode, NOW.encode(value)) == outcome(BEFORE.decode, stored)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=8), plain_values, max_size=8))
def test_an_event_of_plain_values_is_written_byte_for_byte_as_before(
    state: dict[str, Any],
) -> None:
    assert NOW.encode(state) == BEFORE.encode(state)


@pytest.mark.parametrize(
    "stored",
    [
        b'{"amount":123456789012345678901234567890}',  # orjson alone would read a float
        b'{"amount":18446744073709551616}',
        b'{"amount":-9223372036854775809}',
        b'{"amount":18446744073709551615}',
        b'{"rate":1e400}',
        b'{"rate":NaN}',
        b'{"text":"\\ud800"}',
        b'{"\\u005ftype_":"uuid_hex","_data_":"6f1c1a8e3b9f4a539d550c1f3c1f7a10"}',
        b'{"at":{"_type_":"datetime_iso","_data_":"2026-11-30T20:00:00+09:00"},"a":[{"x":{}}]}',
        b'{"ids":[{"_type_":"uuid_hex","_data_":"6f1c1a8e3b9f4a539d550c1f3c1f7a10"}]}',
        b'{"_type_":"decimal_str","_data_":"1.10"}',
        b'{"_type_":"unknown","_data_":1}',
        b'{"_type_":"datetime_iso","_data_":"not a time"}',
        b'{"_type_":"uuid_hex","_data_":"x","more":1}',
        b'{"a":1,"a":2}',
        b"[" * 100 + b"]" * 100,
        b'"\xe8\xbb\x8a"',
        b"12",
        b"1.5",
        b'{"a":"\x01"}',
        b"\xef\xbb\xbf{}",
        b'{"a":"\xff"}',
        b"{} extra",
    ],
)
def test_a_row_the_json_module_wrote_reads_back_as_it_did(stored: bytes) -> None:
    assert outcome(NOW.decode, stored) == outcome(BEFORE.decode, stored)


def test_a_value_of_every_kind_an_event_holds_round_trips() -> None:
    state = {
        "timestamp": datetime(2026, 11, 30, 20, 0, tzinfo=UTC),
        "originator_topic": "claim_status.domain:Claim",
        "document_id": uuid.UUID(int=7),
        "amount": Decimal("350000"),
        "accident_date": date(2026, 11, 1).isoformat(),
        "payments": [{"amount": 350000, "paid": True, "payee": None}],
        "summary": "追突事故（信号待ち）",
    }
    assert NOW.decode(NOW.encode(state)) == state
    assert NOW.decode(BEFORE.encode(state)) == state


def test_every_service_s_event_store_uses_it() -> None:
    topic = eventsourcing_env("postgresql://claims@127.0.0.1:5432/claims")["TRANSCODER_TOPIC"]
    application = Application(env={"TRANSCODER_TOPIC": topic})
    assert isinstance(application.mapper.transcoder, OrjsonTranscoder)
