"""Input types for request bodies, so every service refuses the same malformed text the same way
(422 naming the field) before it reaches a database: PostgreSQL rejects NUL in text, and control
characters have no business in a name, an email or a policy number."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _email_address(value: str) -> str:
    """As people type it: full-width characters (＠, ｊｐ) folded by NFKC, spaces trimmed, and
    lower-cased, since the address is the customer's user ID and 'Taro@' is 'taro@' to them."""
    folded = unicodedata.normalize("NFKC", value).strip().lower()
    _no_control_characters(folded)
    local, at, domain = folded.rpartition("@")
    if not at or not local or "." not in domain:
        raise ValueError("is not an email address")
    return folded


# Documented for clients and schemathesis; the validator above is what decides (it also takes
# the full-width forms the pattern leaves out, which NFKC turns into ASCII).
_EMAIL_PART = r"[^@\uFF20\uFE6B\s\x00-\x1f\x7f-\x9f]+"
_EMAIL_SHAPE = rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$"

PlainText = Annotated[str, AfterValidator(_no_control_characters)]
EmailAddress = Annotated[
    str,
    Field(min_length=3, max_length=254, json_schema_extra={"pattern": _EMAIL_SHAPE}),
    AfterValidator(_email_address),
]
