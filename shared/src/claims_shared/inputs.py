"""Input types for request bodies, so every service refuses the same malformed text the same way
(422 naming the field) before it reaches a database: PostgreSQL rejects NUL in text, and control
characters have no business in a name, an email or a policy number."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class RequestBody(BaseModel):
    """A request body: closed, so a field we do not know is refused (422) rather than ignored,
    and the published schema says so (`additionalProperties: false`)."""

    model_config = ConfigDict(extra="forbid")


# Each check is a pattern, so the published schema says exactly what is refused.
PlainText = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
"""Text a person typed (a name, a number, a date as typed): no control characters (Unicode's
Cc: C0, DEL, C1)."""

Password = Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=r"^[^\x00]*$")]
"""Any Unicode, spaces included (claims_shared.passwords has the rules), but NUL."""

OpaqueToken = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")
]
"""A token this platform issued (URL-safe base64)."""
