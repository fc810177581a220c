"""Email addresses, one way for every service: the customer's user ID (ログインID) and where
temporary passwords and notices go, so anything that is not exactly one mailbox is refused
before it is stored or mailed ("a@b.jp, c@d.jp" would otherwise mail two people).

`email_address` is the one function that checks and normalises an address, wherever it comes in
(registration, log-in, password reset, staff creation); `EmailAddress` is the same check as a
request-body type. The syntax is email-validator's (the library behind pydantic's EmailStr),
without DNS: no look-up at the edge or in tests.

Normalised form, the one registration stores and log-in looks up: NFKC first (a Japanese IME
types ＠ and full-width letters), surrounding spaces trimmed, then the library's normal form
(domain lower-cased, IDNA domains in Unicode), then the whole address lower-cased. The local part
is lower-cased because identity always has (accounts are stored that way; customers read
'Taro@' and 'taro@' as one address), so every account registered before keeps logging in.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from claims_shared.errors import Message

MAX_TYPED_LENGTH = 320  # anything longer cannot be an address (254 at most); not worth folding
# Characters that separate or decorate addresses: a second address, a display name, a comment.
_SEPARATORS = frozenset(',;<>()[]"\\ ')
# Control, format (zero-width), surrogate, private-use and unassigned characters.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


@dataclass(frozen=True)
class EmailRefusal:
    code: str
    message: Message


NOT_ONE_ADDRESS = EmailRefusal(
    "email_not_one_address",
    Message(
        "メールアドレスは1件だけ、お名前や空白、区切り記号（，；＜＞）を付けずに入力してください（例：taro@example.jp）。",
        "Enter a single email address, with no name, spaces or separators (, ; < >), "
        "for example taro@example.jp.",
    ),
)
NOT_AN_ADDRESS = EmailRefusal(
    "email_invalid",
    Message(
        "メールアドレスの形式が正しくありません。ご確認のうえ、もう一度入力してください（例：taro@example.jp）。",
        "This is not a valid email address. Please check it and try again "
        "(for example taro@example.jp).",
    ),
)


class EmailRefused(ValueError):
    """The typed text is not one mailbox; the refusal says why, in both languages."""

    def __init__(self, refusal: EmailRefusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def email_address(typed: str) -> str:
    """The normalised address, or EmailRefused. Idempotent: a normalised address comes back
    unchanged, so checking again further in never changes what the edge stored."""
    if len(typed) > MAX_TYPED_LENGTH:
        raise EmailRefused(NOT_AN_ADDRESS)
    folded = unicodedata.normalize("NFKC", typed)
    if any(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in folded):
        raise EmailRefused(NOT_AN_ADDRESS)
    folded = folded.strip(" ")
    if folded.count("@") > 1 or any(ch in _SEPARATORS or ch.isspace() for ch in folded):
        raise EmailRefused(NOT_ONE_ADDRESS)
    try:
        checked = validate_email(folded, check_deliverability=False)
    except EmailNotValidError as error:
        raise EmailRefused(NOT_AN_ADDRESS) from error
    return checked.normalized.lower()


def _for_pydantic(typed: str) -> str:
    """The refusal as a pydantic error: its type is the refusal's code and its context carries
    both languages, so the 422 names the field with a message the customer can read."""
    try:
        return email_address(typed)
    except EmailRefused as error:
        message = error.refusal.message
        raise PydanticCustomError(
            error.refusal.code, message.en, {"ja": message.ja, "en": message.en}
        ) from error


# Documented for clients, and what schemathesis generates valid addresses from: a plain ASCII
# shape the check always takes. `email_address` is what decides: it also takes full-width input
# (NFKC turns it into ASCII), Unicode addresses and the rarer ASCII characters. No "format":
# "email" here, since generators then produce special-use domains (.test) the check refuses.
_LOCAL = r"[A-Za-z0-9_+-]{1,32}(\.[A-Za-z0-9_+-]{1,16}){0,2}"
_LABEL = r"[a-z0-9]{1,20}(-[a-z0-9]{1,20}){0,2}"
_SHAPE = rf"^{_LOCAL}@({_LABEL}\.){{1,3}}[a-z]{{2,12}}$"

EmailAddress = Annotated[
    str,
    Field(json_schema_extra={"pattern": _SHAPE, "maxLength": 254}),
    AfterValidator(_for_pydantic),
]
