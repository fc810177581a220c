"""S3Proxy (Maven Central, deploy/s3proxy/pom.xml) on the JDK: the S3 API over a folder, the
local stand-in for the production object store.

Filesystem backend under the state folder (a bucket is a folder, an object a file), requests
signed with AWS signature v2 or v4 and the local-only keys below (a wrong secret is refused with
SignatureDoesNotMatch), every listener on 127.0.0.1. Clients use path-style addressing and any
region (us-east-1).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config

from devinfra.maven import copy_jars
from devinfra.paths import free_port, local_dir, repo_root
from devinfra.processes import LocalProcess, require_java

# Development keys only: S3Proxy here holds nothing but test uploads.
ACCESS_KEY = "claims-local"
SECRET_KEY = "claims-local-only-secret"
REGION = "us-east-1"


def libs_dir() -> Path:
    return local_dir() / "s3proxy"


def fetch_jar() -> Path:
    """The one S3Proxy jar (with its dependencies inside), copied by Maven once."""
    libs = copy_jars(repo_root() / "deploy" / "s3proxy" / "pom.xml", libs_dir())
    jars = sorted(libs.glob("s3proxy-*.jar"))
    if not jars:
        raise RuntimeError(f"no S3Proxy jar in {libs}; remove it and run `make setup` again")
    return jars[-1]


def answers(url: str) -> bool:
    """S3Proxy answers HTTP (403 to an unsigned request is an answer)."""
    try:
        with urllib.request.urlopen(url + "/", timeout=0.5):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


@dataclass
class LocalObjectStore(LocalProcess):
    """S3Proxy whose objects, properties and log live in `state_dir`; `port` 0 picks a free one."""

    port: int = 0
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    heap: str = "256m"

    pid_name = "s3proxy.pid"
    log_name = "s3proxy.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    def _write_properties(self) -> Path:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.state_dir / "s3proxy.properties"
        properties.write_text(
            "\n".join(
                [
                    f"s3proxy.endpoint={self.url}",
                    "s3proxy.authorization=aws-v2-or-v4",
                    f"s3proxy.identity={self.access_key}",
                    f"s3proxy.credential={self.secret_key}",
                    "jclouds.provider=filesystem",
                    f"jclouds.filesystem.basedir={self.data_dir}",
                    "",
                ]
            )
        )
        return properties

    def is_running(self) -> bool:
        return self._answers(lambda: answers(self.url))

    def start(self, timeout: float = 60.0) -> LocalObjectStore:
        """Start S3Proxy, or keep the one already running from this state folder."""
        if self._keeps_running(self.port):
            return self
        require_java()
        properties = self._write_properties()
        self._launch(
            [
                "java",
                f"-Xmx{self.heap}",
                # The client compiler only, as for the local Kafka broker: a short-lived JVM
                # spends less CPU compiling.
                "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-jar",
                str(fetch_jar()),
                "--properties",
                str(properties),
            ],
            lambda: answers(self.url),
            timeout,
            f"S3Proxy did not start; see {self.log_file}",
        )
        return self


@dataclass(frozen=True)
class ObjectStore:
    """Where an S3 API answers and the keys it takes: the local S3Proxy or any other."""

    url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for botocore's and aiobotocore's `create_client("s3", ...)`."""
        return {
            "endpoint_url": self.url,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": self.region,
            "config": Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        }

    def buckets(self) -> list[str]:
        return [entry["Name"] for entry in self._client().list_buckets().get("Buckets", [])]

    def create_bucket(self, name: str) -> None:
        self._client().create_bucket(Bucket=name)

    def remove_bucket(self, name: str) -> None:
        """Delete every object of the bucket, then the bucket."""
        client = self._client()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for entry in page.get("Contents", []):
                client.delete_object(Bucket=name, Key=entry["Key"])
        client.delete_bucket(Bucket=name)

    def _client(self) -> Any:
        return botocore.session.get_session().create_client("s3", **self.client_options())
