"""Stored events' JSON, written and read with orjson where that gives exactly what eventsourcing's
JSONTranscoder (the json module) gives, and by the json module everywhere else.

The json module was a tenth of claim-status's intake: an adjuster's update cost 5.3-5.9 µs to
encode, 2.5-2.6 with orjson and the check below; 3.4-3.8 µs to read back, 2.4-2.8. orjson cannot
simply take over: it writes a UUID, an Enum and NaN itself where the json module calls the
transcodings (`{"_type_": "uuid_hex", ...}`) or writes `NaN`; it reads an integer beyond 64 bits
as a float; and it has no object hook for the transcodings' markers. So each value is walked
first: only str, int, bool, None, lists, tuples, dicts with str keys and datetimes (passed to the
transcodings, `OPT_PASSTHROUGH_DATETIME`) are written by orjson, and only what orjson read back
as str, int, bool, None, lists and dicts is kept, its markers revived by the JSONTranscoder's
own hook, innermost first as the json module calls it. Anything else (a float, a UUID, a
Decimal, anything orjson refuses) takes the json module's way, so every stored event, old rows
included, reads back exactly as before, and a plain one is written byte for byte as before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_SCALARS = frozenset({str, int, bool, type(None)})
_LEAVES = _SCALARS | {datetime}
_DEEPEST = 64
"""Nesting beyond this takes the json module's way (stored events are a few levels deep)."""


class NotPlain(Exception):
    """A value whose JSON the json module and orjson would not agree on."""


class OrjsonTranscoder(JSONTranscoder):
    """Registered with eventsourcing by `TRANSCODER_TOPIC` (claims_shared.settings); a
    JSONTranscoder still, so the application registers its transcodings on it as before."""

    def encode(self, obj: Any) -> bytes:
        if not _writable(obj, 0):
            return super().encode(obj)
        try:
            return orjson.dumps(obj, default=self._encode_obj, option=_ORJSON_OPTIONS)
        except orjson.JSONEncodeError:  # an int beyond 64 bits, a transcoding missing
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            loaded = orjson.loads(data)
            return loaded if type(loaded) in _SCALARS else self._revived(loaded, 0)
        except (orjson.JSONDecodeError, NotPlain, RecursionError):
            return super().decode(data)  # NaN, a lone surrogate, a float, deep nesting

    def _revived(self, value: Any, depth: int) -> Any:
        """`value` (a dict or a list) with every marker turned back into its object, innermost
        first; raises NotPlain on a float (perhaps an integer orjson read beyond 64 bits)."""
        if depth > _DEEPEST:
            raise NotPlain
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._revived(item, depth + 1)
                elif type(item) not in _SCALARS:
                    raise NotPlain
            return self._decode_obj(value) if "_type_" in value else value
        if type(value) is not list:
            raise NotPlain
        for index, item in enumerate(value):
            if type(item) is dict or type(item) is list:
                value[index] = self._revived(item, depth + 1)
            elif type(item) not in _SCALARS:
                raise NotPlain
        return value


def _writable(value: Any, depth: int) -> bool:
    """Whether orjson writes `value` as the json module would (datetimes through `default`)."""
    if depth > _DEEPEST:
        return False
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (
                type(item) not in _LEAVES and not _writable(item, depth + 1)
            ):
                return False
        return True
    if type(value) is list or type(value) is tuple:
        for item in value:
            if type(item) not in _LEAVES and not _writable(item, depth + 1):
                return False
        return True
    return type(value) in _LEAVES
