"""Hypothesis strategies for messages other systems send us, drawn from the JSON Schemas we
publish for them (docs/contracts/): documents the schema allows, the same documents with one part
broken the ways senders break them, and JSON of any shape at all.

Written here rather than taken from hypothesis-jsonschema: its release at the time of writing
fails against the pinned hypothesis (an internal API it used is gone). The subset of JSON Schema
pydantic emits is small: objects, $ref into $defs, anyOf/oneOf, const/enum, strings with
patterns, formats and bounds, integers with bounds, arrays of a bounded length.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

Json = Any

ANY_JSON: st.SearchStrategy[Json] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON value: what a broken or hostile sender might put anywhere."""

_AWKWARD_TEXT = st.sampled_from(
    ["", " ", "\u0000", "a\u0000b", "\ud800", "\u202e", "x" * 5000, "山田\n太郎", "１２３", "0"]
)


def _dates() -> st.SearchStrategy[str]:
    return st.dates(
        min_value=datetime(2000, 1, 1).date(), max_value=datetime(2026, 1, 1).date()
    ).map(str)


def _datetimes() -> st.SearchStrategy[str]:
    return st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat())


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    fmt = schema.get("format")
    if fmt == "uuid":
        return st.uuids().map(str)
    if fmt == "date":
        return _dates()
    if fmt == "date-time":
        return _datetimes()
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(
            lambda text: low <= len(text) <= schema.get("maxLength", 10**6)
        )
    return st.text(min_size=low, max_size=max(low, high))


def valid(schema: dict[str, Any], root: dict[str, Any] | None = None) -> st.SearchStrategy[Json]:
    """Documents the schema allows."""
    root = root or schema
    if "$ref" in schema:
        return st.deferred(lambda: valid(root["$defs"][schema["$ref"].split("/")[-1]], root))
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return st.one_of([valid(option, root) for option in schema[union]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        properties = schema.get("properties", {})
        return st.fixed_dictionaries(
            {name: valid(sub, root) for name, sub in properties.items() if name in required},
            optional={
                name: valid(sub, root) for name, sub in properties.items() if name not in required
            },
        )
    if kind == "string":
        return _string(schema)
    if kind == "integer":
        return st.integers(
            min_value=schema.get("minimum", schema.get("exclusiveMinimum", -(2**31)) + 1),
            max_value=min(schema.get("maximum", 2**31), 10**12),
        )
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", 5), 5)
        return st.lists(valid(schema.get("items", {}), root), min_size=low, max_size=high)
    return ANY_JSON


@st.composite
def broken(draw: st.DrawFn, document: Json) -> Json:
    """`document` with one thing wrong, somewhere inside: a value replaced by any JSON or by
    awkward text, a field dropped, or a field nobody knows added."""
    if not isinstance(document, dict) or not document:
        return draw(ANY_JSON)
    document = dict(document)
    name = draw(st.sampled_from(sorted(document)))
    inner = document[name]
    how = draw(st.sampled_from(["deeper", "any", "text", "drop", "add"]))
    if how == "deeper" and isinstance(inner, dict) and inner:
        document[name] = draw(broken(inner))
    elif how == "text":
        document[name] = draw(_AWKWARD_TEXT)
    elif how == "drop":
        del document[name]
    elif how == "add":
        document[draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in document))] = draw(
            ANY_JSON
        )
    else:
        document[name] = draw(ANY_JSON)
    return document


def corpus(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy`, the same ones every run (a failure can be replayed):
    hypothesis draws them, a test then sends them through real servers all at once."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(example: Any) -> None:
        drawn.append(example)

    collect()
    return drawn[:count]


def message_values(schema: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Kafka message values for a topic whose contract is `schema`: valid documents, documents
    with one thing broken, envelopes of any data, JSON of any shape, and bytes that are not JSON."""
    documents = valid(schema)
    as_json = st.one_of(
        documents,
        documents.flatmap(broken),
        documents.flatmap(broken).flatmap(broken),
        documents.map(lambda doc: {**doc, "data": doc["data"]}).flatmap(
            lambda doc: ANY_JSON.map(lambda data: {**doc, "data": data})
        ),
        ANY_JSON,
    ).map(lambda doc: json.dumps(doc).encode())
    return st.one_of(as_json, as_json, as_json, as_json, st.binary(max_size=200))
