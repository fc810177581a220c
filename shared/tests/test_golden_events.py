"""Golden samples of every v1 event: what producers already sent must still decode, and what we
encode must still be what consumers were promised. A change that breaks either fails here."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from claims_shared.events import EVENT_TYPES, decode, encode
from claims_shared.events.catalogue import UnknownEventType

GOLDEN = Path(__file__).parent / "golden"
SAMPLES = sorted(GOLDEN.glob("*.json"))


def test_every_event_type_has_a_golden_sample() -> None:
    names = {p.name for p in SAMPLES}
    missing = [f"{t}.v{v}.json" for t, v in EVENT_TYPES if f"{t}.v{v}.json" not in names]
    assert missing == []


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_golden_sample_round_trips(sample: Path) -> None:
    raw = sample.read_bytes()
    envelope = decode(raw)
    assert isinstance(envelope.data, EVENT_TYPES[(envelope.event_type, envelope.schema_version)])
    assert json.loads(encode(envelope)) == json.loads(raw)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_a_sample_missing_a_required_field_is_refused(sample: Path) -> None:
    document = json.loads(sample.read_bytes())
    required = [
        k
        for k, f in EVENT_TYPES[(document["event_type"], 1)].model_fields.items()
        if f.is_required()
    ]
    del document["data"][required[0]]
    with pytest.raises(ValidationError):
        decode(json.dumps(document).encode())


def test_unknown_event_type_is_refused() -> None:
    document = json.loads((GOLDEN / "PasswordChanged.v1.json").read_bytes())
    document["schema_version"] = 99
    with pytest.raises(UnknownEventType):
        decode(json.dumps(document).encode())


def test_a_tombstone_is_refused() -> None:
    with pytest.raises(UnknownEventType):
        decode(None)
