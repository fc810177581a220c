"""The mails customers receive, composed from Jinja2 templates (templates/<language>/<kind>.txt;
the first line is the subject). Japanese unless the account's language is English. Every mail
goes to exactly one mailbox, and none carries a link (tests/fast/test_mail_links.py): a mail
with a link that ends on a log-in form is what phishing looks like (the FSA's direction for
online financial services), so each tells the customer in words where to look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from claims_shared.emails import EmailRefused, email_address
from claims_shared.kafka import UnprocessableMessage

TEMPLATES = Path(__file__).parent / "templates"
JAPAN = ZoneInfo("Asia/Tokyo")
KINDS = (
    "temporary_password",
    "password_reset",
    "password_changed",
    "account_locked",
    "new_device_sign_in",
    "passkey_added",
    "passkey_removed",
    "passkey_disabled",
    "claim_status_changed",
    "registration_complete",
    "new_message",
    "action_requested",
)


@dataclass(frozen=True)
class Mail:
    kind: str
    to: str
    subject: str
    text: str

    def __post_init__(self) -> None:
        one_mailbox(self.to)


def one_mailbox(address: str) -> str:
    """`address` if it is exactly one mailbox (the one check every service uses,
    claims_shared.emails); otherwise the message that asks for this mail is refused (to the DLQ
    with the reason, never sent). Registration checks addresses too; this holds even if an
    address like "a@example.jp, b@example.jp" got past it, so a temporary password never
    reaches a second mailbox."""
    try:
        return email_address(address)
    except EmailRefused as error:
        raise UnprocessableMessage(
            f"the recipient is not exactly one mailbox ({error.refusal.code})"
        ) from None


def _japan_time(moment: datetime, language: str) -> str:
    local = moment.astimezone(JAPAN)
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M (Japan time)")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,  # noqa: S701 - plain-text mail, no HTML
    keep_trailing_newline=True,
)


def compose(kind: str, language: str, to: str, **context: Any) -> Mail:
    language = "en" if language == "en" else "ja"
    rendered = _environment.get_template(f"{language}/{kind}.txt").render(
        japan_time=lambda moment: _japan_time(moment, language), **context
    )
    subject, _, text = rendered.partition("\n")
    return Mail(kind, to, subject.strip(), text.lstrip("\n"))
