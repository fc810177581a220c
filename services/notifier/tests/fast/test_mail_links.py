"""Every mail template, in both languages: no link leads to a password form (the FSA's direction
for online financial services: a mail asking for a password by link is what phishing looks like).

Rendered with every variable it uses, each URL in the text is taken apart: none may open the web
front's log-in (/ and /login are its start page, which holds the form), registration, password
change or reset pages, or any address outside the customer web service. The links that remain
are the accident's page and its message board (/accidents/<id>, #messages) in the status,
request-for-action and new-message notices: the notice's whole point is which accident, and the
page shows the accident to a customer who is signed in. Security notices (new device, lock,
password changed, passkeys) carry no link at all."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import pytest
from jinja2 import meta

from notifier.mails import KINDS, TEMPLATES, _environment, compose

WEB_URL = "https://www.example-insurer.jp/web"
PASSWORD_FORMS = ("", "login", "register", "password", "password-reset", "app")
"""The web front's routes (web/js/app.js) whose page asks for a password: the start page is the
log-in form, and the app's home leads straight to it."""
SECURITY_NOTICES = {
    "new_device_sign_in",
    "account_locked",
    "password_changed",
    "passkey_added",
    "passkey_removed",
    "passkey_disabled",
}
URL = re.compile(r"(?:https?://|www\.)[^\s）)」]+")


def _value(name: str) -> object:
    """A plausible value of each template variable: URLs where the template gets a URL."""
    if name.endswith(("_at", "_until")) or name == "at":
        return datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    if name.endswith("_url"):
        return f"{WEB_URL}/accidents/CL-2026-0001"
    return "0120-000-000" if name == "contact" else f"<{name}>"


def _rendered(kind: str, language: str) -> str:
    source = (TEMPLATES / language / f"{kind}.txt").read_text(encoding="utf-8")
    names = meta.find_undeclared_variables(_environment.parse(source)) - {"japan_time"}
    context = {name: _value(name) for name in names}
    context.setdefault("web_url", WEB_URL)
    mail = compose(kind, language, "taro@example.jp", **context)
    return f"{mail.subject}\n{mail.text}"


def _path_under_site(url: str) -> PurePosixPath:
    parts = urlsplit(url if "://" in url else f"https://{url}")
    site = urlsplit(WEB_URL)
    assert parts.netloc == site.netloc, f"a link outside the customer web service: {url}"
    assert parts.path.startswith(site.path), url
    return PurePosixPath("/" + parts.path[len(site.path) :].strip("/"))


def test_every_template_on_disk_is_a_known_kind() -> None:
    """So the checks below see every mail there is."""
    for language in ("ja", "en"):
        on_disk = {path.stem for path in (TEMPLATES / language).glob("*.txt")}
        assert on_disk == set(KINDS), language


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_no_link_in_a_mail_leads_to_a_password_form(kind: str, language: str) -> None:
    text = _rendered(kind, language)
    for url in URL.findall(text):
        path = _path_under_site(url)
        first = path.parts[1] if len(path.parts) > 1 else ""
        assert first not in PASSWORD_FORMS, f"{kind}/{language} links to a password form: {url}"
        assert first == "accidents", f"{kind}/{language}: a link to {url} nobody decided on"


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("kind", sorted(SECURITY_NOTICES & set(KINDS)))
def test_security_notices_carry_no_link_and_say_whom_to_call(kind: str, language: str) -> None:
    text = _rendered(kind, language)
    assert URL.findall(text) == [] and "http" not in text
    assert "0120-000-000" in text


def test_the_check_catches_a_link_to_the_log_in_page() -> None:
    """The test above can fail: the same check on a text with the start page in it."""
    for url in (f"{WEB_URL}/", f"{WEB_URL}/login", f"{WEB_URL}/password-reset"):
        path = _path_under_site(URL.findall(f"ログインはこちら（{url}）")[0])
        assert (path.parts[1] if len(path.parts) > 1 else "") in PASSWORD_FORMS
