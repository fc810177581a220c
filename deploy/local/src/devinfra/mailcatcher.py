"""A real SMTP server for development and tests that keeps every message it accepts.

Messages go to a maildir (so they survive a restart and a person can open them with any mail tool)
and are listed as JSON at GET /api/messages, newest last, with a readable page at /.
Run: python -m devinfra.mailcatcher --smtp-port 1025 --http-port 8025 --maildir .local/mail
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import mailbox
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from fastapi.responses import HTMLResponse


class MailStore:
    """The maildir plus a lock: aiosmtpd's thread writes, the HTTP handlers read."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._box = mailbox.Maildir(path, create=True)
        self._lock = threading.Lock()

    def add(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        message = mailbox.MaildirMessage(raw)
        message["X-Envelope-From"] = mail_from
        message["X-Envelope-To"] = ", ".join(rcpt_tos)
        with self._lock:
            return self._box.add(message)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            keys = sorted(self._box.keys(), key=lambda k: self._box.get_message(k).get_date())
            return [_as_json(key, self._box.get_bytes(key)) for key in keys]

    def clear(self) -> None:
        with self._lock:
            for key in list(self._box.keys()):
                self._box.remove(key)


def _as_json(key: str, raw: bytes) -> dict[str, Any]:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(preferencelist=("plain",))
    rich = parsed.get_body(preferencelist=("html",))
    return {
        "id": key,
        "from": str(parsed.get("From", "")),
        "to": [addr.strip() for addr in str(parsed.get("X-Envelope-To", "")).split(",") if addr],
        "subject": str(parsed.get("Subject", "")),
        "date": str(parsed.get("Date", "")),
        "text": text.get_content() if text is not None else "",
        "html": rich.get_content() if rich is not None else "",
    }


class _Handler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.store.add(raw, str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos])
        return "250 Message accepted for delivery"


def build_web(store: MailStore) -> FastAPI:
    web = FastAPI(title="Local mail", docs_url=None, redoc_url=None)

    @web.get("/api/messages")
    def list_messages() -> list[dict[str, Any]]:
        return store.messages()

    @web.delete("/api/messages", status_code=204)
    def clear_messages() -> None:
        store.clear()

    @web.get("/", response_class=HTMLResponse)
    def page() -> str:
        rows = "".join(
            f"<article><h2>{html.escape(m['subject'])}</h2><p>To: {html.escape(', '.join(m['to']))}"
            f" · {html.escape(m['date'])}</p><pre>{html.escape(m['text'])}</pre></article>"
            for m in reversed(store.messages())
        )
        return (
            "<!doctype html><html lang='en'><meta charset='utf-8'><title>Local mail</title>"
            "<meta name='viewport' content='width=device-width'>"
            "<style>body{font-family:sans-serif;max-width:50rem;margin:auto;padding:1rem}"
            "pre{white-space:pre-wrap;background:#f4f4f4;padding:.5rem}</style>"
            f"<h1>Local mail</h1>{rows or '<p>No mail yet.</p>'}</html>"
        )

    return web


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, default=Path(".local/mail"))
    args = parser.parse_args()
    store = MailStore(args.maildir)
    smtp = Controller(_Handler(store), hostname="127.0.0.1", port=args.smtp_port)
    smtp.start()
    try:
        uvicorn.run(build_web(store), host="127.0.0.1", port=args.http_port, log_level="warning")
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
