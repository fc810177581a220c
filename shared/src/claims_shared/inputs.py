"""Input types for request bodies, so every service refuses the same malformed text the same way
(422 naming the field) before it reaches a database: PostgreSQL rejects NUL in text, and control
characters have no business in a name, an email or a policy number."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from claims_shared import emails


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


PlainText = Annotated[str, AfterValidator(_no_control_characters)]
# The one check of an email address lives in claims_shared.emails; kept here for importers.
EmailAddress = emails.EmailAddress
