"""Jars from Maven Central for the servers run on the JDK (the Kafka broker, S3Proxy): Maven
copies what a thin pom under deploy/ names into a folder of .local/, once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def copy_jars(pom: Path, destination: Path) -> Path:
    """Copy the pom's runtime jars into `destination` once; a stamp newer than the pom marks a
    complete copy (an interrupted or outdated one is made again)."""
    stamp = destination / ".complete"
    if stamp.exists() and stamp.stat().st_mtime >= pom.stat().st_mtime:
        return destination
    if not shutil.which("mvn"):
        raise RuntimeError(
            "Maven (mvn) is missing: run `make setup` or install the 'maven' package"
        )
    shutil.rmtree(destination, ignore_errors=True)
    subprocess.run(
        [
            "mvn",
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(pom),
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={destination}",
        ],
        check=True,
    )
    stamp.touch()
    return destination
