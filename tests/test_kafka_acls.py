"""Kafka authentication and authorisation on the real broker: every client signs in with
SASL/SCRAM-SHA-512 over TLS, and each principal may do only what devinfra.kafka_users grants it
(the same ACLs as deploy/k8s's KafkaUsers). On the broker `make infra` runs when it is secured,
else on a secured broker of this module's own."""

from __future__ import annotations

import shlex
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)

from claims_shared.dlq import DeadLetterQueue
from claims_shared.events import topics
from claims_shared.kafka_tools import KafkaSettings
from devinfra import kafka_clients
from devinfra.kafka import LocalKafka
from devinfra.kafka_acls import bindings
from devinfra.kafka_users import PRINCIPALS
from devinfra.paths import repo_root
from devinfra.testing import topic_prefix


@pytest.fixture(scope="module")
def broker(infrastructure: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kafka_clients.secured(infrastructure.kafka_bootstrap_servers):
        yield infrastructure.kafka_bootstrap_servers
        return
    kafka = LocalKafka(tmp_path_factory.mktemp("kafka-acls"), secured=True).start()
    try:
        yield kafka.bootstrap_servers
    finally:
        kafka.stop()


@pytest.fixture
async def prefix(broker: str) -> str:
    """This test's topics, created by the operator (as the platform creates them)."""
    prefix = topic_prefix()
    admin = AIOKafkaAdminClient(**kafka_clients.client(broker, "operator"))
    await admin.start()
    try:
        made = [NewTopic(prefix + t, 1, 1) for t in (*topics.ALL, *map(topics.dlq, topics.ALL))]
        await admin.create_topics(made)
    finally:
        await admin.close()
    return prefix


@asynccontextmanager
async def producer_as(
    broker: str, principal: str, **options: Any
) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        **kafka_clients.client(broker, principal) | options, request_timeout_ms=10000
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def write(broker: str, principal: str, topic: str) -> int:
    async with producer_as(broker, principal, enable_idempotence=True, acks="all") as producer:
        return (await producer.send_and_wait(topic, b'{"probe": true}', key=b"k")).offset


async def read(broker: str, principal: str, topic: str, group: str | None = None) -> int:
    """How many messages `principal` reads from the start of `topic`'s first partition."""
    consumer = AIOKafkaConsumer(
        **kafka_clients.client(broker, principal),
        group_id=group,
        enable_auto_commit=False,
        request_timeout_ms=10000,
    )
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        if group:
            await consumer.committed(partition)
        await consumer.seek_to_beginning(partition)
        seen, deadline = 0, time.monotonic() + 2
        while time.monotonic() < deadline:  # a refused fetch surfaces on a later call
            batches = await consumer.getmany(timeout_ms=300)
            seen += sum(len(records) for records in batches.values())
        return seen
    finally:
        await consumer.stop()


async def described(broker: str, principal: str, names: list[str]) -> dict[str, int]:
    """Each topic's error code when `principal` asks for its metadata (0: it may see it)."""
    admin = AIOKafkaAdminClient(**kafka_clients.client(broker, principal))
    await admin.start()
    try:
        return {t["topic"]: t["error_code"] for t in await admin.describe_topics(names)}
    finally:
        await admin.close()


async def test_registration_writes_its_events_but_not_the_adjusters_updates(
    broker: str, prefix: str
) -> None:
    assert await write(broker, "registration", prefix + topics.REGISTRATION_EVENTS) == 0
    with pytest.raises(TopicAuthorizationFailedError):
        await write(broker, "registration", prefix + topics.ADJUSTER_UPDATES)
    with pytest.raises(TopicAuthorizationFailedError):  # claim-status's, not registration's
        await write(broker, "registration", prefix + topics.CLAIM_STATUS_EVENTS)


async def test_the_adjusters_write_their_updates_and_read_only_the_customers_submissions(
    broker: str, prefix: str
) -> None:
    """The customers' documents and messages reach the claims handlers' systems only through
    claims.customer-submissions (docs/contracts: answer with an adjuster update)."""
    submissions = prefix + topics.CUSTOMER_SUBMISSIONS
    await write(broker, "claim-status", submissions)
    assert await read(broker, "adjusters", submissions, "adjusters") == 1
    await write(broker, "adjusters", prefix + topics.ADJUSTER_UPDATES)
    assert await read(broker, "claim-status", prefix + topics.ADJUSTER_UPDATES) == 1
    with pytest.raises(TopicAuthorizationFailedError):  # what it writes, it may not read
        await read(broker, "adjusters", prefix + topics.ADJUSTER_UPDATES)
    others = [prefix + t for t in (topics.CLAIM_STATUS_EVENTS, topics.POLICY_RECORDS)]
    assert await described(broker, "operator", others) == {topic: 0 for topic in others}
    refused = TopicAuthorizationFailedError.errno
    assert await described(broker, "adjusters", others) == {topic: refused for topic in others}
    with pytest.raises(GroupAuthorizationFailedError):  # no consumer group either
        await read(broker, "adjusters", prefix + topics.ADJUSTER_UPDATES, "claim-status")
    with pytest.raises(TopicAuthorizationFailedError):
        await write(broker, "adjusters", prefix + topics.POLICY_RECORDS)
    with pytest.raises(TopicAuthorizationFailedError):  # it reads them, it does not forge them
        await write(broker, "adjusters", submissions)


async def test_the_policy_system_writes_only_policy_records(broker: str, prefix: str) -> None:
    await write(broker, "policy-system", prefix + topics.POLICY_RECORDS)
    assert await read(broker, "registration", prefix + topics.POLICY_RECORDS) == 1
    with pytest.raises(TopicAuthorizationFailedError):
        await write(broker, "policy-system", prefix + topics.ADJUSTER_UPDATES)


async def test_a_service_writes_the_dlq_of_what_it_reads_in_its_own_group(
    broker: str, prefix: str
) -> None:
    await write(broker, "notifier", prefix + topics.dlq(topics.IDENTITY_EVENTS))
    with pytest.raises(TopicAuthorizationFailedError):  # it reads no adjusters' updates
        await write(broker, "notifier", prefix + topics.dlq(topics.ADJUSTER_UPDATES))
    with pytest.raises(TopicAuthorizationFailedError):  # nor writes what it reads
        await write(broker, "notifier", prefix + topics.IDENTITY_EVENTS)
    assert await read(broker, "notifier", prefix + topics.IDENTITY_EVENTS, "notifier") == 0
    with pytest.raises(GroupAuthorizationFailedError):
        await read(broker, "notifier", prefix + topics.IDENTITY_EVENTS, "identity")


async def test_the_operator_reads_and_replays_a_dlq(broker: str, prefix: str) -> None:
    dlq = prefix + topics.dlq(topics.ADJUSTER_UPDATES)
    await write(broker, "claim-status", dlq)
    assert await read(broker, "operator", dlq, "dlq-replay") == 1
    await write(broker, "operator", prefix + topics.ADJUSTER_UPDATES)

    def queue(principal: str) -> DeadLetterQueue:
        access = kafka_clients.access(broker, principal).model_dump()
        settings = KafkaSettings(bootstrap_servers=broker, topic_prefix=prefix, **access)
        return DeadLetterQueue(settings, topics.ADJUSTER_UPDATES)

    assert [letter.key for letter in await queue("operator").read()] == ["k"]
    with pytest.raises(TopicAuthorizationFailedError):  # told so, not shown an empty DLQ
        await queue("adjusters").read()


@pytest.mark.parametrize(
    "unsafe",
    [
        pytest.param({"security_protocol": "PLAINTEXT"}, id="plaintext"),
        pytest.param(
            {"security_protocol": "SSL", "sasl_plain_username": None}, id="tls-without-a-name"
        ),
        pytest.param({"sasl_plain_password": "a-guessed-password"}, id="wrong-password"),
        pytest.param({"sasl_plain_username": "someone-else"}, id="unknown-user"),
    ],
)
async def test_a_client_that_does_not_authenticate_cannot_connect(
    broker: str, prefix: str, unsafe: dict[str, Any]
) -> None:
    topic = prefix + topics.REGISTRATION_EVENTS
    assert await write(broker, "registration", topic) >= 0  # the same, authenticated, works
    options = dict(unsafe)
    if options.get("security_protocol") == "PLAINTEXT":
        options |= {"ssl_context": None, "sasl_plain_username": None, "sasl_mechanism": "PLAIN"}
    with pytest.raises(KafkaConnectionError):
        async with producer_as(broker, "registration", **options) as producer:
            await producer.send_and_wait(topic, b"{}")


def _strimzi_acls() -> dict[str, set[tuple[str, str, str, str]]]:
    users = yaml.safe_load_all((repo_root() / "deploy/k8s/base/kafka-users.yaml").read_text())
    found: dict[str, set[tuple[str, str, str, str]]] = {}
    for user in users:
        acls = user["spec"]["authorization"]["acls"]
        found[user["metadata"]["name"].removeprefix("kafka-")] = {
            (
                acl["resource"]["type"],
                acl["resource"].get("name", "kafka-cluster"),
                acl["resource"].get("patternType", "literal"),
                operation,
            )
            for acl in acls
            for operation in acl["operations"]
        }
    return found


NAMES = {2: "topic", 3: "group", 4: "cluster"}
OPERATIONS = {
    2: "All",
    3: "Read",
    4: "Write",
    5: "Create",
    7: "Alter",
    8: "Describe",
    10: "DescribeConfigs",
}
PATTERNS = {3: "literal", 4: "prefix"}


def _local_acls() -> dict[str, set[tuple[str, str, str, str]]]:
    return {
        who.name: {
            (NAMES[b.resource_type], b.name, PATTERNS[b.pattern], OPERATIONS[b.operation])
            for b in bindings(who)
        }
        for who in PRINCIPALS
    }


def _compose_acls() -> dict[str, set[tuple[str, str, str, str]]]:
    """The `acl <user> <kafka-acls.sh options>` lines of compose's kafka-topics script."""
    compose = yaml.safe_load((repo_root() / "deploy/compose.yaml").read_text())
    script = compose["services"]["kafka-topics"]["command"][0]
    found: dict[str, set[tuple[str, str, str, str]]] = {}
    for line in script.splitlines():
        if not line.strip().startswith("acl "):
            continue
        words = shlex.split(line)
        user, options = words[1], words[2:]
        operations = [options[i + 1] for i, word in enumerate(options) if word == "--operation"]
        pattern = "prefix" if "prefixed" in options else "literal"
        resources = [
            (option.removeprefix("--"), options[i + 1])
            for i, option in enumerate(options)
            if option in ("--topic", "--group")
        ]
        if "--cluster" in options:
            resources.append(("cluster", "kafka-cluster"))
        found.setdefault(user, set()).update(
            (kind, name, pattern, operation) for kind, name in resources for operation in operations
        )
    return found


def test_the_kubernetes_users_grant_what_the_local_broker_grants() -> None:
    assert _strimzi_acls() == _local_acls()


def test_compose_grants_what_the_local_broker_grants() -> None:
    assert _compose_acls() == _local_acls()
