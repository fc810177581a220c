"""Every mail template, in both languages: no link at all (the FSA's direction for online
financial services: a mail with a link that ends on a log-in form is what phishing looks like,
and the customer web service's pages all ask a signed-out customer to log in first).

Each template is rendered with every variable it uses, then read the way a mail program would
find a link in it: a scheme (https://, mailto:), www., or a host name, also in full-width
characters (NFKC). None may be there, nor a variable that could carry one. The notices that
used to link to the accident (status changed, request for action, new message) tell the customer
in words where to look instead: log in from the bookmark or the app, the accident list."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from jinja2 import meta

from notifier.mails import KINDS, TEMPLATES, _environment, compose
from notifier_harness import WHERE_TO_LOOK

LANGUAGES = ("ja", "en")
LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://|www\.|mailto:|(?:[a-z0-9-]+\.)+(?:jp|com|net|org|io|app|co)\b",
    re.IGNORECASE,
)
SECURITY_NOTICES = {
    "new_device_sign_in",
    "account_locked",
    "password_changed",
    "passkey_added",
    "passkey_removed",
    "passkey_disabled",
}
NOTICES = ("claim_status_changed", "action_requested", "new_message")


def _variables(kind: str, language: str) -> set[str]:
    source = (TEMPLATES / language / f"{kind}.txt").read_text(encoding="utf-8")
    return meta.find_undeclared_variables(_environment.parse(source)) - {"japan_time"}


def _value(name: str) -> object:
    """A plausible value of each template variable."""
    if name.endswith(("_at", "_until")) or name == "at":
        return datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    return "0120-000-000 (9:00-17:00)" if name == "contact" else f"<{name}>"


def _rendered(kind: str, language: str) -> str:
    context = {name: _value(name) for name in _variables(kind, language)}
    mail = compose(kind, language, "taro@example.jp", **context)
    return f"{mail.subject}\n{mail.text}"


def links_in(text: str) -> list[str]:
    """What a mail program could make a link of, full-width characters read as ASCII."""
    return LINK.findall(unicodedata.normalize("NFKC", text))


def test_every_template_on_disk_is_a_known_kind() -> None:
    """So the checks below see every mail there is."""
    for language in LANGUAGES:
        on_disk = {path.stem for path in (TEMPLATES / language).glob("*.txt")}
        assert on_disk == set(KINDS), language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_no_mail_carries_a_link(kind: str, language: str) -> None:
    assert links_in(_rendered(kind, language)) == [], f"{kind}/{language} carries a link"
    could_link = {v for v in _variables(kind, language) if v.endswith(("url", "link", "href"))}
    assert not could_link, f"{kind}/{language} is given {could_link}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", NOTICES)
def test_the_notices_say_in_words_where_to_look(kind: str, language: str) -> None:
    text = _rendered(kind, language)
    assert WHERE_TO_LOOK[language] in text
    assert ("リンク" if language == "ja" else "no link") in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(SECURITY_NOTICES))
def test_security_notices_say_whom_to_call(kind: str, language: str) -> None:
    assert "0120-000-000 (9:00-17:00)" in _rendered(kind, language)


@pytest.mark.parametrize(
    "link",
    [
        "https://claims.example-insurer.jp/login",
        "http://127.0.0.1:8080/accidents/CL-1",
        "ｈｔｔｐｓ：／／ｃｌａｉｍｓ．ｅｘａｍｐｌｅ．ｊｐ",
        "www.example-insurer.jp",
        "claims.example-insurer.jp/accidents/CL-1",
        "mailto:desk@example.jp",
    ],
)
def test_the_check_catches_a_link(link: str) -> None:
    """The check above can fail: the same reading finds each form a link could take."""
    assert links_in(f"ログインはこちら（{link}）")
