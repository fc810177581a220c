"""Input types for request bodies, so every service refuses the same malformed text the same way
(422 naming the field) before it reaches a database: PostgreSQL rejects NUL in text, and control
characters have no business in a name, an email or a policy number."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from claims_shared import emails


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


class RequestBody(BaseModel):
    """A request body: closed, so a field we do not know is refused (422) rather than ignored,
    and the published schema says so (`additionalProperties: false`)."""

    model_config = ConfigDict(extra="forbid")


# The patterns say in the published schema what the checks enforce.
PlainText = Annotated[
    str,
    StringConstraints(pattern=r"^[^\x00-\x1f\x7f-\x9f]*$"),
    AfterValidator(_no_control_characters),
]
"""Text a person typed (a name, a number, a date as typed): no control characters."""

Password = Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=r"^[^\x00]*$")]
"""Any Unicode, spaces included (claims_shared.passwords has the rules), but NUL."""

OpaqueToken = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")
]
"""A token this platform issued (URL-safe base64)."""
# The one check of an email address lives in claims_shared.emails; kept here for importers.
EmailAddress = emails.EmailAddress
