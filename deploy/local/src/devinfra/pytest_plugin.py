"""Pytest fixtures that give every test suite real servers, in this order of preference:
1. the servers named by KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and SMTP_HOST/SMTP_PORT;
2. testcontainers, where a Docker engine answers;
3. the local runners (what this machine and CI use), on free ports in .local/test-<pid>/.
Each test gets its own database and topics, so tests never see each other's data.

The document servers are started only for the tests that ask for them (`clamd_address`,
`object_store`, `bucket`): the ones named by CLAMD_ADDRESS and OBJECT_STORE_URL (with
OBJECT_STORE_ACCESS_KEY/OBJECT_STORE_SECRET_KEY) when set, else clamd and S3Proxy of their own in
.local/test-<pid>-clamd/ and -s3proxy/. Each test that takes `bucket` gets a bucket of its own,
emptied and removed after it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from devinfra import kafka_clients
from devinfra.clamd import LocalClamd
from devinfra.kafka import LocalKafka
from devinfra.kafka_clients import auth_on
from devinfra.mail import LocalMail
from devinfra.object_store import LocalObjectStore, ObjectStore
from devinfra.paths import local_dir
from devinfra.postgres import LocalPostgres


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    postgres_url: str  # the server's maintenance database; tests create their own databases
    smtp_host: str
    smtp_port: int
    mail_web_url: str | None

    def kafka_client(self, principal: str = "operator") -> dict[str, Any]:
        """A raw aiokafka client's keyword arguments, acting as `principal` (kafka_users)."""
        return kafka_clients.client(self.kafka_bootstrap_servers, principal)

    def kafka_settings(self, principal: str) -> dict[str, Any]:
        """A service's settings fields for running in-process as `principal`."""
        return kafka_clients.settings_fields(self.kafka_bootstrap_servers, principal)

    def kafka_env(self, principal: str) -> dict[str, str]:
        """A child process's environment for acting as `principal`."""
        return kafka_clients.process_env(self.kafka_bootstrap_servers, principal)


def _docker_answers() -> bool:
    if os.environ.get("DEVINFRA_NO_DOCKER"):
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _kafka(stack: contextlib.ExitStack, state: Any) -> Iterator[str]:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        yield stack.enter_context(KafkaContainer().with_kraft()).get_bootstrap_server()
    else:
        kafka = LocalKafka(state / "kafka", secured=auth_on()).start()
        stack.callback(kafka.stop)
        yield kafka.bootstrap_servers


def _postgres(stack: contextlib.ExitStack, state: Any) -> str:
    if url := os.environ.get("DATABASE_URL"):
        return url
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        container = stack.enter_context(PostgresContainer("postgres:16", driver=None))
        return str(container.get_connection_url())
    postgres = LocalPostgres(state / "postgres").start()
    stack.callback(postgres.stop)
    return postgres.url()


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    state = local_dir() / f"test-{os.getpid()}"
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, state, True)
        postgres_url = _postgres(stack, state)
        if os.environ.get("SMTP_HOST"):
            smtp = (
                os.environ["SMTP_HOST"],
                int(os.environ.get("SMTP_PORT", "25")),
                os.environ.get("MAIL_WEB_URL"),
            )
        else:
            mail = LocalMail(state / "mail").start()
            stack.callback(mail.stop)
            smtp = ("127.0.0.1", mail.smtp_port, mail.web_url)
        kafka = stack.enter_context(_kafka(stack, state))
        yield Infrastructure(kafka, postgres_url, smtp[0], smtp[1], smtp[2])


@pytest.fixture
def database_factory(infrastructure: Infrastructure) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty databases on the test server and drops them after the test."""
    created: list[str] = []

    def create() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(infrastructure.postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return infrastructure.postgres_url.rsplit("/", 1)[0] + "/" + name

    yield create
    with psycopg.connect(infrastructure.postgres_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(database_factory: Callable[[], str]) -> str:
    return database_factory()


@pytest.fixture
def unique_topic() -> Callable[[str], str]:
    """Topic names no other test (or earlier run) uses: `unique_topic("claims.status-events")`."""
    run = uuid.uuid4().hex[:8]
    return lambda base: f"{base}.test-{run}"


@pytest.fixture(scope="session")
def clamd_address() -> Iterator[str]:
    """`host:port` (or a unix socket path) of a clamd whose database catches the EICAR test
    file (devinfra.clamd.EICAR)."""
    if address := os.environ.get("CLAMD_ADDRESS"):
        yield address
        return
    state = local_dir() / f"test-{os.getpid()}-clamd"
    clamd = LocalClamd(state).start()
    try:
        yield clamd.address
    finally:
        clamd.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    """An S3 API (url, access_key, secret_key, region; client_options() for aiobotocore)."""
    if url := os.environ.get("OBJECT_STORE_URL"):
        yield ObjectStore(
            url,
            os.environ.get("OBJECT_STORE_ACCESS_KEY", ObjectStore.access_key),
            os.environ.get("OBJECT_STORE_SECRET_KEY", ObjectStore.secret_key),
        )
        return
    state = local_dir() / f"test-{os.getpid()}-s3proxy"
    server = LocalObjectStore(state).start()
    try:
        yield ObjectStore(server.url, server.access_key, server.secret_key)
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def bucket(object_store: ObjectStore) -> Iterator[str]:
    """The name of a new, empty bucket for this test alone."""
    name = f"test-{uuid.uuid4().hex[:16]}"
    object_store.create_bucket(name)
    yield name
    object_store.remove_bucket(name)
