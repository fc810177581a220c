"""Where the runners keep their state: the git-ignored `.local/` folder at the repository root."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def repo_root() -> Path:
    """The repository root: CLAIMS_REPO_ROOT if set, else the first parent holding the Makefile."""
    if env := os.environ.get("CLAIMS_REPO_ROOT"):
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Makefile").exists() and (parent / "deploy").is_dir():
            return parent
    return Path.cwd()


def local_dir() -> Path:
    path = repo_root() / ".local"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    """A port the kernel says is free on 127.0.0.1 right now (tests run beside `make infra`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
