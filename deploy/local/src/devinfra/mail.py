"""Runs the mail catcher (devinfra.mailcatcher) as a process of its own."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devinfra.kafka import _alive, _read_pid, _terminate
from devinfra.paths import free_port, port_answers


@dataclass
class LocalMail:
    state_dir: Path
    smtp_port: int = 0
    http_port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "mailcatcher.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "mailcatcher.log"

    def is_running(self) -> bool:
        pid = _read_pid(self.pid_file)
        return pid is not None and _alive(pid) and port_answers(self.smtp_port)

    def start(self, timeout: float = 20.0) -> LocalMail:
        """Start the mail catcher, or keep the one already running from this state folder."""
        if self.smtp_port and self.is_running():
            return self
        self.smtp_port = self.smtp_port or free_port()
        self.http_port = self.http_port or free_port()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
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
            stdout=self.log_file.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid_file.write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout
        while not (port_answers(self.smtp_port) and port_answers(self.http_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the mail catcher did not start; see {self.log_file}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        pid = self.process.pid if self.process else _read_pid(self.pid_file)
        if pid is not None:
            _terminate(pid, 10.0)
        if self.process is not None:
            self.process.wait()
            self.process = None
        self.pid_file.unlink(missing_ok=True)
