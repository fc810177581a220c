"""Every metric a Grafana dashboard or a Prometheus alert refers to is one a service exposes:
each service runs as its own process (as deployed: one registry per process) against the real
broker and database, and its /metrics is scraped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest
import yaml

from devinfra.kafka_users import SERVICE_PRINCIPALS
from devinfra.paths import free_port, repo_root
from devinfra.testing import topic_prefix

DEPLOY = repo_root() / "deploy"
SERVICES = {
    "identity": "IDENTITY",
    "registration": "REGISTRATION",
    "claim_status": "CLAIM_STATUS",
    "notifier": "NOTIFIER",
}
# Made by Prometheus itself, not by a service.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "rate",
    "increase",
    "irate",
    "delta",
    "changes",
    "histogram_quantile",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "abs",
    "clamp_min",
    "clamp_max",
    "topk",
    "bottomk",
    "le",
    "e",
    "inf",
    "nan",
}


def exposed_names(exposition: str) -> set[str]:
    """Sample names a Prometheus scrape of this text yields (families with no sample yet
    included: a counter `x` is scraped as x_total, a histogram as x_bucket/_sum/_count)."""
    names = set()
    for kind_line in re.finditer(r"^# TYPE (\S+) (\S+)$", exposition, re.M):
        name, kind = kind_line.groups()
        names.add(name)
        if kind == "counter":
            names |= {f"{name}_total", f"{name}_created"}
        elif kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    return names


def referenced_names(expression: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers outside label matchers and groupings."""
    stripped = re.sub(r"\{[^}]*\}", "", expression)
    stripped = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped
    )
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    stripped = re.sub(r'"[^"]*"', "", stripped)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", stripped))
    return {w for w in words if w.lower() not in PROMQL_WORDS and not w.startswith("$")}


def dashboard_expressions() -> dict[str, str]:
    found = {}
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                found[f"{path.name}: {panel['title']} ({target['refId']})"] = target["expr"]
    return found


def alert_expressions() -> dict[str, str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return {
        f"alert {rule['alert']}": rule["expr"]
        for group in rules["groups"]
        for rule in group["rules"]
    }


@pytest.fixture(scope="module")
def scraped(infrastructure: Any) -> Iterator[dict[str, str]]:
    """Each service's /metrics text, from its own process."""

    names = [f"test_obs_{uuid.uuid4().hex[:10]}" for _ in SERVICES]
    base = infrastructure.postgres_url.rsplit("/", 1)[0]
    with psycopg.connect(infrastructure.postgres_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    ports = {package: free_port() for package in SERVICES}
    env = {
        **os.environ,
        "KAFKA_TOPIC_PREFIX": topic_prefix(),
        "SMTP_HOST": infrastructure.smtp_host,
        "SMTP_PORT": str(infrastructure.smtp_port),
        "IDENTITY_JWKS_URL": f"http://127.0.0.1:{ports['identity']}/.well-known/jwks.json",
        "MAINTENANCE_WINDOWS": "",
    }
    for (package, prefix), database in zip(SERVICES.items(), names, strict=True):
        env[f"{prefix}_DATABASE_URL"] = f"{base}/{database}"
        env[f"{prefix}_HTTP_PORT"] = str(ports[package])
    processes = {
        package: subprocess.Popen(
            [sys.executable, "-m", package],
            env={**env, **infrastructure.kafka_env(SERVICE_PRINCIPALS[package])},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for package in SERVICES
    }
    try:
        yield {package: _metrics(ports[package], processes[package]) for package in SERVICES}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=30)
        with psycopg.connect(infrastructure.postgres_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _metrics(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service on {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the service on {port} was not ready within {timeout}s")


def test_every_dashboard_and_alert_metric_is_exposed_by_a_service(
    scraped: dict[str, str],
) -> None:
    exposed = set().union(*(exposed_names(text) for text in scraped.values())) | PROMETHEUS_OWN
    expressions = {**dashboard_expressions(), **alert_expressions()}
    assert len(expressions) > 20
    missing = {
        where: sorted(referenced_names(expr) - exposed)
        for where, expr in expressions.items()
        if referenced_names(expr) - exposed
    }
    assert not missing, missing


def test_each_service_exposes_its_own_figures(scraped: dict[str, str]) -> None:
    own: dict[str, Callable[[str], bool]] = {
        "identity": lambda text: "identity_log_ins_total" in text,
        "registration": lambda text: "registration_outcomes_total" in text,
        "claim_status": lambda text: "claim_update_intake_seconds" in text,
        "notifier": lambda text: "notifier_mails_sent_total" in text,
    }
    for package, check in own.items():
        assert check(scraped[package]), package
        assert "http_requests_total" in scraped[package]
    assert "claim_update_intake_seconds" not in scraped["identity"], "one registry per process"


def test_the_reference_finder_sees_through_promql() -> None:
    expression = (
        "histogram_quantile(0.99, sum by (le, projection) "
        '(rate(projection_delay_seconds_bucket{x="a"}[5m]))) > 5 and up == 0'
    )
    assert referenced_names(expression) == {"projection_delay_seconds_bucket", "up"}
