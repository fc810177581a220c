"""Which core each process of a bench runs on: the server under test on one, everything else
(the database, the broker, nginx, the load client) on the other, so a figure per core is the
server's and not its neighbours'; and what the server spends there."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

SERVICE_CORE, CLIENT_CORE = {0}, {1}


def pin(pid: int, cores: set[int]) -> None:
    """Every thread of `pid` and of its descendants (argon2 runs in worker threads, PostgreSQL
    and nginx in forked children) on `cores`; children forked later inherit it."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(text.split(" ", 1)[0])] = int(text[text.rindex(")") + 2 :].split()[1])
    family, grown = {pid}, True
    while grown:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grown = bool(more)
    for member in family:
        try:
            for task in Path(f"/proc/{member}/task").iterdir():
                os.sched_setaffinity(int(task.name), cores)
        except (OSError, ValueError):
            continue  # exited meanwhile


def pin_servers_apart(pid_files: list[Path]) -> None:
    """The servers named by their pid files, and this process (the load client), off the
    service's core."""
    for pid_file in pid_files:
        pin(int(pid_file.read_text().split()[0]), CLIENT_CORE)
    os.sched_setaffinity(0, CLIENT_CORE)


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of the process, all its threads (argon2 hashes in worker threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def idle_cpu_rate(pid: int, seconds: float = 2.0) -> float:
    """CPU seconds a second the process spends with no request (its consumers', projections'
    and relays' polls): taken off or shown apart, so the CPU per request is the request's."""
    before = process_cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (process_cpu_seconds(pid) - before) / seconds
