"""Runs the mail catcher (devinfra.mailcatcher) as a process of its own."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from devinfra.paths import free_port, port_answers
from devinfra.processes import LocalProcess


@dataclass
class LocalMail(LocalProcess):
    smtp_port: int = 0
    http_port: int = 0

    pid_name = "mailcatcher.pid"
    log_name = "mailcatcher.log"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def is_running(self) -> bool:
        return self._answers(lambda: port_answers(self.smtp_port))

    def start(self, timeout: float = 20.0) -> LocalMail:
        """Start the mail catcher, or keep the one already running from this state folder."""
        if self._keeps_running(self.smtp_port):
            return self
        self.smtp_port = self.smtp_port or free_port()
        self.http_port = self.http_port or free_port()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._launch(
            [
                sys.executable,
                "-m",
                "devinfra.mailcatcher",
                "--smtp-port",
                str(self.smtp_port),
                "--http-port",
                str(self.http_port),
                "--maildir",
                str(self.state_dir / "maildir"),
            ],
            lambda: port_answers(self.smtp_port) and port_answers(self.http_port),
            timeout,
            f"the mail catcher did not start; see {self.log_file}",
        )
        return self
