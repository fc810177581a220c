"""`make sbom`: the software bill of materials of the pinned Python packages, CycloneDX JSON, made
from constraints.txt with no network (here in a network namespace of its own when the machine
allows one), so the dependency audit can run on a machine that reaches the vulnerability
services."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devinfra.paths import repo_root

ROOT = repo_root()


def pinned() -> dict[str, str]:
    """constraints.txt's pins by normalised name (PEP 503: fastapi, typing-extensions)."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def offline(command: list[str]) -> list[str]:
    """The command in an empty network namespace, where the machine lets us make one."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
        return [unshare, "--net", *command]
    return command


@pytest.fixture(scope="module")
def sbom(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("sbom") / "sbom.cdx.json"
    made = subprocess.run(  # -o: the venv as it is (no set-up, which would reach the network)
        offline(["make", "-s", "-o", ".venv/.installed", f"SBOM={path}", "sbom"]),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_the_sbom_is_cyclonedx_json(sbom: dict[str, Any]) -> None:
    assert sbom["bomFormat"] == "CycloneDX"
    assert re.fullmatch(r"1\.[5-9]", sbom["specVersion"])


def test_the_sbom_lists_every_pinned_package_at_its_pinned_version(sbom: dict[str, Any]) -> None:
    listed = {
        re.sub(r"[-_.]+", "-", c["name"]).lower(): (c["version"], c["purl"])
        for c in sbom["components"]
    }
    pins = pinned()
    assert listed["fastapi"] == (pins["fastapi"], f"pkg:pypi/fastapi@{pins['fastapi']}")
    assert listed["cyclonedx-bom"][0] == "7.5.0"
    assert {name: version for name, (version, _) in listed.items()} == pins
