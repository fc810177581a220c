"""What the local servers run as their own processes (broker, mail catcher, nginx) share: a pid
file and a log in their state folder, a wait until they answer, a stop that survives a restart of
the runner (the pid file names the process when this runner did not start it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, ClassVar


def require_java() -> None:
    """The JVM the broker and S3Proxy run on, or a RuntimeError saying how to get one."""
    if not shutil.which("java"):
        raise RuntimeError("java is missing: run `make setup` or install a JDK (17 or later)")


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def terminate(pid: int, timeout: float) -> None:
    """SIGTERM, then SIGKILL only if it has not ended within `timeout`."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:  # reap it if it is our child
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class LocalProcess:
    """A server process whose pid file and log live in `state_dir`. Subclasses name the files
    (`pid_name`, `log_name`) and say how to start it."""

    state_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, kw_only=True)

    pid_name: ClassVar[str]
    log_name: ClassVar[str]

    @property
    def pid_file(self) -> Path:
        return self.state_dir / self.pid_name

    @property
    def log_file(self) -> Path:
        return self.state_dir / self.log_name

    def _answers(self, port_answers: Callable[[], bool]) -> bool:
        """Running from this state folder: its pid file names a live process that answers."""
        pid = read_pid(self.pid_file)
        return pid is not None and alive(pid) and port_answers()

    def is_running(self) -> bool:
        """Subclasses say how their server answers (through `_answers`)."""
        raise NotImplementedError

    def _keeps_running(self, port: int) -> bool:
        """Keep the one already running from this state folder: a port was given (the runner
        restarted with the state it left) and the server there answers."""
        return bool(port) and self.is_running()

    def _launch(
        self, command: list[str], ready: Callable[[], bool], timeout: float, failure: str
    ) -> None:
        """Start `command` logging to the log file, write the pid file and wait until `ready`."""
        process = self._spawn(command, stdout=self.log_file.open("ab"), stderr=subprocess.STDOUT)
        self.pid_file.write_text(str(process.pid))
        self._wait_until(ready, timeout, failure)

    def _spawn(
        self, command: list[str], stdout: IO[bytes] | int, stderr: IO[bytes] | int
    ) -> subprocess.Popen[bytes]:
        """Start `command` in a session of its own (Ctrl-C at `make up` is the runner's)."""
        self.process = subprocess.Popen(
            command, stdout=stdout, stderr=stderr, start_new_session=True
        )
        return self.process

    def _wait_until(self, ready: Callable[[], bool], timeout: float, failure: str) -> None:
        """Poll `ready` until it holds; RuntimeError(`failure`) if the process ends first or the
        time runs out."""
        deadline = time.monotonic() + timeout
        while not ready():
            exited = self.process is not None and self.process.poll() is not None
            if exited or time.monotonic() > deadline:
                raise RuntimeError(failure)
            time.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (a controlled shutdown), SIGKILL only if it hangs."""
        pid = self.process.pid if self.process else read_pid(self.pid_file)
        if pid is not None:
            terminate(pid, timeout)
        if self.process is not None:
            self.process.wait()
            self.process = None
        self.pid_file.unlink(missing_ok=True)
