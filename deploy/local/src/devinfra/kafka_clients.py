"""How a test, the fault suite, a bench or `make up` connects to a local broker as one of the
principals (`kafka_users.PRINCIPALS`): a raw client's keyword arguments, a service's settings
fields, a child process's environment.

A broker is known by its address: the one .local/env names (KAFKA_BOOTSTRAP_SERVERS with
KAFKA_SECURITY_PROTOCOL, KAFKA_SSL_CAFILE), or one a runner started and `register`ed (the pytest
plugin's, the fault suite's, a bench's). Any other address is taken as a bare PLAINTEXT broker
(a testcontainers Kafka). KAFKA_AUTH=off runs devinfra's brokers without authentication."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from claims_shared.kafka_access import KafkaAccess
from devinfra import kafka_acls
from devinfra.kafka_users import BROKER_PASSWORD, BROKER_USER, SCRAM, principal

_secured: dict[str, str] = {}  # bootstrap servers -> the CA file of a secured local broker


def auth_on() -> bool:
    """Whether devinfra's brokers authenticate and authorise (KAFKA_AUTH, default on)."""
    return os.environ.get("KAFKA_AUTH", "on").lower() not in ("off", "0", "false", "no")


def register(bootstrap: str, ca_file: str) -> None:
    """A secured broker this process started (or was told of)."""
    _secured[bootstrap] = ca_file


def unregister(bootstrap: str) -> None:
    """A broker this process stopped: no test's topics are granted on it any more."""
    _secured.pop(bootstrap, None)


def _ca_file(bootstrap: str) -> str | None:
    if bootstrap in _secured:
        return _secured[bootstrap]
    named = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if named == bootstrap and os.environ.get("KAFKA_SECURITY_PROTOCOL") == "SASL_SSL":
        return os.environ.get("KAFKA_SSL_CAFILE", "")
    return None


def secured(bootstrap: str) -> bool:
    return _ca_file(bootstrap) is not None


def access(bootstrap: str, name: str, password: str | None = None) -> KafkaAccess:
    """Principal `name`'s credentials on the broker at `bootstrap` (`password` only for the
    broker's own super user, which is not among the principals)."""
    ca_file = _ca_file(bootstrap)
    if ca_file is None:
        return KafkaAccess()
    return KafkaAccess(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=SCRAM,
        kafka_username=name,
        kafka_password=password or principal(name).password,
        kafka_ssl_cafile=ca_file,
    )


def options(bootstrap: str, name: str = "operator") -> dict[str, Any]:
    """Principal `name`'s security arguments alone (EventPublisher's `access`)."""
    return access(bootstrap, name).kafka_options()


def client(bootstrap: str, name: str = "operator") -> dict[str, Any]:
    """Keyword arguments of an AIOKafkaProducer/Consumer/AdminClient acting as `name` (the
    operator: what tests set up and check; `adjusters`: an adjusters' system...)."""
    return {"bootstrap_servers": bootstrap, **options(bootstrap, name)}


def settings_fields(bootstrap: str, name: str) -> dict[str, Any]:
    """A service's settings fields for running in-process as principal `name`."""
    return {"kafka_bootstrap_servers": bootstrap, **access(bootstrap, name).model_dump()}


def process_env(bootstrap: str, name: str) -> dict[str, str]:
    """The environment of a child process acting as `name` on the broker at `bootstrap`."""
    held = access(bootstrap, name)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_SECURITY_PROTOCOL": held.kafka_security_protocol,
    }
    if held.kafka_security_protocol != "PLAINTEXT":
        env |= {
            "KAFKA_SASL_MECHANISM": held.kafka_sasl_mechanism,
            "KAFKA_SSL_CAFILE": held.kafka_ssl_cafile,
            "KAFKA_USERNAME": held.kafka_username,
            "KAFKA_PASSWORD": held.kafka_password,
        }
    return env


def grant_prefix(prefix: str) -> None:
    """Every principal's ACLs on the topics under `prefix`, on each secured broker in use (a
    test's topics: see `testing.topic_prefix`). Runs in a thread of its own, so it may be
    called from inside an event loop."""
    brokers = set(_secured)
    named = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if named and secured(named):
        brokers.add(named)
    for bootstrap in brokers:
        run_apart(_grant(bootstrap, prefix))


def run_apart(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on an event loop of its own in another thread; its failure is raised here."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(work)
        except BaseException as failure:
            failures.append(failure)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]


async def _grant(bootstrap: str, prefix: str) -> None:
    async with admin(bootstrap, super_user(bootstrap)) as client:
        await kafka_acls.grant(client, prefix)


@asynccontextmanager
async def admin(bootstrap: str, who: KafkaAccess) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client of the broker at `bootstrap` acting as `who`."""
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **who.kafka_options())
    await client.start()
    try:
        yield client
    finally:
        await client.close()


def super_user(bootstrap: str) -> KafkaAccess:
    """The local broker's super user, which applies ACLs."""
    return access(bootstrap, BROKER_USER, BROKER_PASSWORD)
