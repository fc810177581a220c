"""A PostgreSQL cluster made with Debian's server binaries in a project-local folder.

initdb refuses to run as root, so as root the cluster belongs to the 'postgres' system user.
Clients connect over TCP on 127.0.0.1 with a password (scram-sha-256), as services will elsewhere.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from devinfra.paths import free_port, port_answers

SUPERUSER = "claims"
PASSWORD = "claims-local-only"
SERVICE_DATABASES = ("identity", "registration", "claim_status", "notifier")


def server_bindir() -> Path:
    """Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin; take the newest."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) are missing: run `make setup` "
        "or install Debian's 'postgresql' package"
    )


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class LocalPostgres:
    state_dir: Path
    port: int = 0

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def _initdb(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.state_dir / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.state_dir, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        subprocess.run(
            _as_owner(
                [
                    str(server_bindir() / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        pwfile.unlink()

    def is_running(self) -> bool:
        status = subprocess.run(
            _as_owner([str(server_bindir() / "pg_ctl"), "-D", str(self.data_dir), "status"]),
            check=False,
            capture_output=True,
        )
        return status.returncode == 0

    def start(self, timeout: float = 60.0) -> LocalPostgres:
        """Start on `port`, or keep the server already running there from this folder; one
        left running on another port is restarted on this one."""
        self._initdb()
        if self.is_running():
            if self.port and port_answers(self.port):
                return self
            self.stop()
        self.port = self.port or free_port()
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.state_dir} "
            "-c max_connections=300 -c fsync=on"
        )
        subprocess.run(
            _as_owner(
                [
                    str(server_bindir() / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not port_answers(self.port):
            if time.monotonic() > deadline:
                raise TimeoutError(f"PostgreSQL did not answer; see {self.log_file}")
            time.sleep(0.1)
        return self

    def create_databases(self, names: tuple[str, ...] = SERVICE_DATABASES) -> None:
        existing = set(self.psql("SELECT datname FROM pg_database").split())
        for name in names:
            if name not in existing:
                self.psql(f'CREATE DATABASE "{name}"')

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                str(server_bindir() / "psql"),
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                self.url(database),
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout

    def stop(self, mode: str = "fast") -> None:
        if not (self.data_dir / "postmaster.pid").exists():
            return
        subprocess.run(
            _as_owner(
                [
                    str(server_bindir() / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    mode,
                    "-w",
                    "stop",
                ]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
        )
