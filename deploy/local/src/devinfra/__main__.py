"""`python -m devinfra infra|down|up|env`: what the Makefile's targets call.

infra  start Kafka, PostgreSQL, the mail catcher, clamd and the object store (S3Proxy) in the
       background, print and write .local/env
down   stop what `infra` started
up     run infrastructure and every installed service in the foreground with prefixed logs;
       Ctrl-C stops everything it started
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from devinfra import kafka_clients
from devinfra.gateway import LocalGateway
from devinfra.kafka_users import SERVICE_PRINCIPALS
from devinfra.paths import local_dir, repo_root
from devinfra.stack import SERVICE_PORTS, LocalStack, claim_status_env, write_env_file

COLOURS = ["\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[31m", "\033[37m"]


def _stack() -> LocalStack:
    return LocalStack.configured(local_dir() / "infra")


def _announce(env: dict[str, str]) -> None:
    env_file = local_dir() / "env"
    write_env_file(env, env_file)
    for key, value in env.items():
        print(f"{key}={value}")
    print(f"# written to {env_file}; `set -a; . {env_file}; set +a` to use them", file=sys.stderr)


def infra() -> None:
    stack = _stack()
    try:
        _announce(stack.start())
    except BaseException:
        stack.stop()
        raise


def down() -> None:
    _stack().stop()
    print("stopped Kafka, the object store, clamd, the mail catcher and PostgreSQL")


def _prefix_lines(name: str, colour: str, stream: IO[bytes]) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        print(f"{colour}{name:>13} |\033[0m {line}", flush=True)


def _tail(name: str, colour: str, path: Path, stop: threading.Event) -> None:
    path.touch()
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        while not stop.is_set():
            raw = handle.readline()
            if raw:
                print(
                    f"{colour}{name:>13} |\033[0m {raw.decode(errors='replace').rstrip()}",
                    flush=True,
                )
            else:
                time.sleep(0.2)


def _installed_services() -> list[str]:
    return [name for name in SERVICE_PORTS if importlib.util.find_spec(name) is not None]


DEMO = """
demo policies (deploy/demo/policies.csv), imported onto policy.records:
  simple registration (簡単登録):  policy number A-2026-000001, procedure code 483921
  group contract (refused):        policy number A-2026-000002, procedure code 552011
  masked code `*****` (refused):   policy number A-2026-000003
  new registration (新規登録):      田中 美咲, born 1992-11-03 (平成4年11月3日), A-2026-000004
"""


def _start_gateway(stack: LocalStack) -> LocalGateway:
    """nginx in front of the services, as in production (deploy/gateway/)."""
    upstreams = {name: f"127.0.0.1:{port}" for name, port in SERVICE_PORTS.items()}
    return LocalGateway(
        stack.root / "gateway", upstreams, port=int(os.environ.get("GATEWAY_PORT", "8080"))
    ).start()


PROMETHEUS_URL = f"http://127.0.0.1:{os.environ.get('PROMETHEUS_PORT', '9090')}"


def _start_prometheus(stack: LocalStack) -> subprocess.Popen[bytes] | None:
    """Debian's Prometheus with deploy/prometheus/local.yml and its alert rules."""
    binary = shutil.which("prometheus")
    if binary is None:
        print("prometheus is not installed (Debian's 'prometheus'): skipping it", flush=True)
        return None
    data = stack.root / "prometheus"
    data.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            binary,
            f"--config.file={repo_root() / 'deploy' / 'prometheus' / 'local.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address={PROMETHEUS_URL.removeprefix('http://')}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(data / "prometheus.log").open("ab"),
        start_new_session=True,
    )


def _as(env: dict[str, str], principal: str) -> dict[str, str]:
    """A child process's Kafka credentials: its own principal's (each service its own; the
    demo import plays the policy system)."""
    return kafka_clients.process_env(env["KAFKA_BOOTSTRAP_SERVERS"], principal)


def _import_demo_policies(env: dict[str, str]) -> None:
    """So that a person can register at once with the codes printed in the README."""
    if importlib.util.find_spec("registration") is None:
        return
    demo = repo_root() / "deploy" / "demo" / "policies.csv"
    result = subprocess.run(
        [sys.executable, "-m", "registration.import_policies", str(demo)],
        env={**os.environ, **env, **_as(env, "policy-system")},
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout.strip() or result.stderr.strip(), flush=True)
    print(DEMO, flush=True)


def _wait_for_interrupt(children: list[subprocess.Popen[bytes]]) -> None:
    """Until Ctrl-C or SIGTERM; a service that dies is reported, the rest keep running."""
    interrupted = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: interrupted.set())
    reported: set[int] = set()
    while not interrupted.wait(0.5):
        for child in children:
            if child.poll() is not None and child.pid not in reported:
                reported.add(child.pid)
                print(f"a service exited with status {child.returncode}", flush=True)


def _human_logs() -> dict[str, str]:
    """The services write into our pipe, not a terminal: when a person watches `make up`, ask
    them for one coloured line an event instead of JSON (LOG_FORMAT set by hand wins)."""
    return {"LOG_FORMAT": "console"} if sys.stdout.isatty() else {}


def up() -> None:
    stack = _stack()
    stop = threading.Event()
    children: list[subprocess.Popen[bytes]] = []
    gateway: LocalGateway | None = None
    try:
        env = stack.start()
        _announce(env)
        logs = [
            ("kafka", stack.kafka.log_file),
            ("postgres", stack.postgres.log_file),
            ("mail", stack.mail.log_file),
            ("clamd", stack.clamd.log_file),
            ("s3proxy", stack.object_store.log_file),
        ]
        for index, (name, path) in enumerate(logs):
            threading.Thread(
                target=_tail, args=(name, COLOURS[index], path, stop), daemon=True
            ).start()
        for index, service in enumerate(_installed_services(), start=len(logs)):
            child = subprocess.Popen(
                [sys.executable, "-m", service],
                env={
                    **_human_logs(),
                    **os.environ,
                    **env,
                    **claim_status_env(env),
                    **_as(env, SERVICE_PRINCIPALS[service]),
                },
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            children.append(child)
            assert child.stdout is not None
            threading.Thread(
                target=_prefix_lines,
                args=(service, COLOURS[index % len(COLOURS)], child.stdout),
                daemon=True,
            ).start()
        gateway = _start_gateway(stack)
        prometheus = _start_prometheus(stack)
        if prometheus is not None:
            children.append(prometheus)
        _import_demo_policies(env)
        print(
            f"\nthe web front (open it in a browser): {gateway.url}/\n"
            f"the mail page (temporary passwords, notices): {env['MAIL_WEB_URL']}\n"
            f"Prometheus (scrapes the services, evaluates the alerts): {PROMETHEUS_URL}\n"
            "watch a status move: `make demo-feed` in a second terminal · Ctrl-C stops everything",
            flush=True,
        )
        _wait_for_interrupt(children)
    finally:
        print("stopping…", flush=True)
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        stop.set()
        if gateway is not None:
            gateway.stop()
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="devinfra", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["infra", "down", "up", "env"])
    command = parser.parse_args().command
    commands: dict[str, Callable[[], None]] = {
        "infra": infra,
        "down": down,
        "up": up,
        "env": lambda: _announce(_stack().env()),
    }
    commands[command]()


if __name__ == "__main__":
    main()
