"""The mails customers receive, composed from Jinja2 templates (templates/<language>/<kind>.txt;
the first line is the subject). Japanese unless the account's language is English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
JAPAN = ZoneInfo("Asia/Tokyo")
KINDS = (
    "temporary_password",
    "password_reset",
    "password_changed",
    "account_locked",
    "claim_status_changed",
)


@dataclass(frozen=True)
class Mail:
    kind: str
    to: str
    subject: str
    text: str


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
