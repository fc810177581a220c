"""The kinds of values other systems send us, each checked once at the edge: identifiers, bounded
text without control characters, ISO dates, whole yen, Japanese phone numbers.

Strict where a lax parse would hide a mistake of the sender's: a number where text is expected
(`"phone": 612345678`), `true` where a number is expected (`"amount": true` is not 1 yen), a date
as a number. Characters PostgreSQL refuses (NUL, lone surrogates) never get past here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)

# Every text type is a pattern, so the published JSON Schema says what is refused. A pattern also
# refuses lone surrogates (pydantic cannot read them as text), so NUL, controls and surrogates
# all stop here.
# Invisible format characters too: a right-to-left override or a zero-width space in a note
# could show a customer "030-000-1200" for 0021-000-030 (bidi controls, zero-width characters,
# the byte-order mark).
_INVISIBLE = r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_ONE_LINE = rf"^[^\x00-\x1f\x7f{_INVISIBLE}]*$"
_LINES = rf"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f{_INVISIBLE}]*$"  # tab and line breaks allowed

# One line a customer may read: no control characters, no line breaks; bounded.
Name = Annotated[StrictStr, StringConstraints(min_length=1, max_length=100, pattern=_ONE_LINE)]
Label = Annotated[StrictStr, StringConstraints(min_length=1, max_length=128, pattern=_ONE_LINE)]
"""Who produced a message, which request it belongs to: short, one line (request ids are up to
128 characters, claims_shared.web)."""
Line = Annotated[StrictStr, StringConstraints(min_length=1, max_length=500, pattern=_ONE_LINE)]
FileName = Annotated[StrictStr, StringConstraints(min_length=1, max_length=255, pattern=_ONE_LINE)]
"""A file's name as a customer's device gave it, made one safe line."""
OptionalLine = Annotated[StrictStr, StringConstraints(max_length=200, pattern=_ONE_LINE)]
Paragraph = Annotated[StrictStr, StringConstraints(min_length=1, max_length=2000, pattern=_LINES)]
"""Text that may span lines (a note to the customer): 2,000 characters at most."""

Identifier = Annotated[
    StrictStr,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"),
]
"""An id another system gave something (customer, policy, adjuster, payment, request): letters,
digits and . _ : - only, so it is safe in a URL path, a log line and a mail."""

ClaimId = Annotated[
    StrictStr,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
]
"""The claims system's claim number; it appears in the customer's address bar."""


def _iso_date(value: object) -> object:
    """A calendar date as ISO text (JSON has no date type); a number is refused, not read as
    seconds since 1970."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError("must be a date as YYYY-MM-DD") from error


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _iso_datetime(value: object) -> object:
    """A moment as ISO text with its offset; a number is refused, not read as seconds since
    1970 (the published schemas say `date-time`, a string)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date and time as ISO 8601 text with an offset")
    return value


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_datetime)]

Yen = Annotated[StrictInt, Field(gt=0, le=100_000_000_000)]
"""A positive whole number of yen (at most ¥100 billion, far above any one payment)."""

Sequence = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
"""Counts a claim's updates from 1; stored as a PostgreSQL int."""


_PHONE_FORMS = [
    f"0[0-9]{{{area}}}-[0-9]{{{local}}}-[0-9]{{{line}}}"
    for area in range(1, 5)
    for local in range(1, 5)
    for line in (3, 4)
    if 1 + area + local + line in (10, 11)
]
JapanesePhone = Annotated[
    StrictStr,
    StringConstraints(pattern="^(" + "|".join([*_PHONE_FORMS, "0[0-9]{9,10}"]) + ")$"),
]
"""A Japanese phone number as text, as customers dial it: 03-1234-5678, 0120-000-123,
090-1234-5678 or the same digits without hyphens."""


def required_when(field: str, message: str, **when: object) -> Any:
    """A model's after-validator: `field` may be None, except when the model's other fields hold
    the values in `when` (a resubmit needs its reason, an issued procedure code its hash); then
    ValueError(`message`)."""

    def check(model: Any) -> Any:
        chosen = all(getattr(model, name) == value for name, value in when.items())
        if chosen and getattr(model, field) is None:
            raise ValueError(message)
        return model

    return model_validator(mode="after")(check)
