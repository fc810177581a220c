"""ClamAV's clamd (Debian's clamav-daemon) with the project's own signature database.

No freshclam and no network: the database folder holds only deploy/clamav/project-test.ndb, one
signature that finds the EICAR test file at any offset (so also after a CRLF or inside a zip).
ClamAV reports it as `Claims.Test.EICAR.UNOFFICIAL` (an unsigned database). Production runs
clamd with freshclam's databases instead (deploy/compose.yaml, deploy/k8s).

clamd listens on 127.0.0.1 (TCP) and, where the path is short enough, on a unix socket in its
state folder; either is a CLAMD_ADDRESS (`host:port` or the socket's path). It answers zPING
within a fraction of a second.
"""

from __future__ import annotations

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from devinfra.paths import free_port, repo_root
from devinfra.processes import LocalProcess

# The anti-virus test file (eicar.org), in two halves so that no scanner flags this source.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!$H+H*"

# clamd refuses a stream longer than StreamMaxLength ("INSTREAM size limit exceeded"); uploads are
# at most 10 MB (CLAIM_STATUS_MAX_UPLOAD_BYTES), so 25 MB leaves room for a raised limit.
LIMITS = {
    "StreamMaxLength": "25M",
    "MaxFileSize": "25M",
    "MaxScanSize": "100M",
    "MaxThreads": "4",
}


def signature_file() -> Path:
    return repo_root() / "deploy" / "clamav" / "project-test.ndb"


def clamd_binary() -> str:
    found = shutil.which("clamd") or (
        "/usr/sbin/clamd" if Path("/usr/sbin/clamd").exists() else None
    )
    if found is None:
        raise RuntimeError(
            "clamd is missing: run `make setup` or install Debian's 'clamav-daemon' package"
        )
    return found


def command(address: str, request: bytes, timeout: float = 2.0) -> bytes:
    """Send one z-command (`b"PING"`, `b"VERSION"`, `b"RELOAD"`) to clamd at `address` and
    return its reply without the trailing NUL."""
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        target: str | tuple[str, int] = address
    else:
        host, _, port = address.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        target = (host, int(port))
    with sock:
        sock.connect(target)
        sock.sendall(b"z" + request + b"\0")
        reply = b""
        while not reply.endswith(b"\0"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.rstrip(b"\0")


def answers(address: str) -> bool:
    try:
        return command(address, b"PING", timeout=0.5) == b"PONG"
    except OSError:
        return False


@dataclass
class LocalClamd(LocalProcess):
    """clamd whose configuration, database, temporary files and log live in `state_dir`;
    `port` 0 picks a free one."""

    port: int = 0

    pid_name = "clamd.pid"
    log_name = "clamd.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def socket_path(self) -> Path:
        return self.state_dir / "clamd.sock"

    def _write_config(self) -> Path:
        self.port = self.port or free_port()
        database = self.state_dir / "db"
        temporary = self.state_dir / "tmp"
        database.mkdir(parents=True, exist_ok=True)
        temporary.mkdir(exist_ok=True)
        # Only the project's signatures: a database left from another run never loads.
        for old in database.iterdir():
            old.unlink()
        shutil.copy(signature_file(), database / signature_file().name)
        settings = {
            "Foreground": "yes",
            "DatabaseDirectory": str(database),
            "TemporaryDirectory": str(temporary),
            "TCPSocket": str(self.port),
            "TCPAddr": "127.0.0.1",
            "LogTime": "yes",
            "SelfCheck": "0",  # the database changes only when the runner restarts it
            **LIMITS,
        }
        if len(str(self.socket_path)) < 100:  # a unix socket path holds at most 107 bytes
            settings |= {"LocalSocket": str(self.socket_path), "LocalSocketMode": "600"}
        config = self.state_dir / "clamd.conf"
        config.write_text("".join(f"{key} {value}\n" for key, value in settings.items()))
        return config

    def is_running(self) -> bool:
        return self._answers(lambda: answers(self.address))

    def start(self, timeout: float = 30.0) -> LocalClamd:
        """Start clamd, or keep the one already running from this state folder."""
        if self._keeps_running(self.port):
            return self
        config = self._write_config()
        self._launch(
            [clamd_binary(), "-c", str(config)],
            lambda: answers(self.address),
            timeout,
            f"clamd did not start; see {self.log_file}",
        )
        return self
