"""The ACLs of `kafka_users.PRINCIPALS`, applied to a running broker through the Admin API as
its super user, and the topics created as the operator.

aiokafka's admin client has no create_acls, but its protocol module has the CreateAcls request
(API key 30, v1 with pattern types; Kafka 4 refuses v0): `_CreateAcls` sends every binding in one
request. The broker's tools jar (kafka.admin.AclCommand) is not among the jars Maven fetches, and
a JVM per binding would take a minute.

Topic names carry the environment's prefix (KAFKA_TOPIC_PREFIX): `grant(prefix)` gives each
principal its topics under that prefix, as LITERAL bindings, so a test's services get exactly the
rights the deployment's do, on that test's topics. With a prefix (tests), a principal may also
create its own topics (tests' topics appear when first used); without one the operator creates
them (`create_topics`) and nobody else may."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.protocol.admin import (
    CreateAclsRequest,
    CreateAclsRequest_v1,
    DescribeAclsRequest,
)

from claims_shared.events import topics
from devinfra.kafka_users import PRINCIPALS, Principal

# Kafka's numeric codes (org.apache.kafka.common.resource / acl).
TOPIC, GROUP, CLUSTER = 2, 3, 4
ALL, READ, WRITE, CREATE, DESCRIBE, ALTER = 2, 3, 4, 5, 8, 7
DESCRIBE_CONFIGS = 10
LITERAL, PREFIXED = 3, 4
ALLOW = 3

CUSTOMER_SUBMISSION_PARTITIONS = 24  # docs/architecture.md: 24 partitions, with its .dlq


@dataclass(frozen=True)
class Binding:
    resource_type: int
    name: str
    pattern: int
    principal: str
    operation: int


def bindings(who: Principal, prefix: str = "") -> list[Binding]:
    """What `who` may do on the topics under `prefix`."""
    user = f"User:{who.name}"
    if who.operator:
        return [
            Binding(TOPIC, prefix or "*", PREFIXED if prefix else LITERAL, user, ALL),
            Binding(GROUP, "*", LITERAL, user, ALL),
            Binding(CLUSTER, "kafka-cluster", LITERAL, user, CREATE),
            Binding(CLUSTER, "kafka-cluster", LITERAL, user, DESCRIBE),
            Binding(CLUSTER, "kafka-cluster", LITERAL, user, DESCRIBE_CONFIGS),
        ]
    own = [(topic, WRITE) for topic in who.writes] + [(topic, READ) for topic in who.reads]
    found = [Binding(TOPIC, prefix + topic, LITERAL, user, op) for topic, op in own]
    found += [Binding(GROUP, group, PREFIXED, user, READ) for group in who.groups]
    if prefix:
        mine = dict.fromkeys(who.writes + who.reads)
        found += [Binding(TOPIC, prefix + topic, LITERAL, user, CREATE) for topic in mine]
    return found


class _CreateAcls(CreateAclsRequest):  # type: ignore[misc]
    """Many bindings in one CreateAcls v1 request."""

    def __init__(self, wanted: list[Binding]) -> None:
        self.wanted = wanted

    def build(self, request_struct_class: type[Any]) -> CreateAclsRequest_v1:
        return CreateAclsRequest_v1(
            [
                (b.resource_type, b.name, b.pattern, b.principal, "*", b.operation, ALLOW)
                for b in self.wanted
            ]
        )


async def grant(admin: AIOKafkaAdminClient, prefix: str = "") -> None:
    """Apply every principal's bindings under `prefix` (creating one twice changes nothing)."""
    wanted = [binding for who in PRINCIPALS for binding in bindings(who, prefix)]
    response = await admin._send_request(_CreateAcls(wanted))
    failed = [message for code, message in response.creation_responses if code]
    if failed:
        raise RuntimeError(f"the broker refused ACLs: {failed[:3]}")
    await _applied(admin, wanted[0])  # a topic binding, named with the prefix


async def _applied(admin: AIOKafkaAdminClient, probe: Binding, timeout: float = 10.0) -> None:
    """Wait until the broker's authorizer holds the request's bindings: the controller commits
    them at once, the broker applies them a moment later, and a client that asks first is
    refused (aiokafka then keeps the topic as unauthorised)."""
    deadline = time.monotonic() + timeout
    wanted = DescribeAclsRequest(
        probe.resource_type, probe.name, probe.pattern, probe.principal, "*", probe.operation, ALLOW
    )
    while time.monotonic() < deadline:
        if (await admin._send_request(wanted)).resources:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the broker did not apply the ACLs within {timeout}s")


def all_topics() -> list[NewTopic]:
    """Every topic and its DLQ, as `make infra` creates them."""
    made = []
    for topic in topics.ALL:
        partitions = CUSTOMER_SUBMISSION_PARTITIONS if topic == topics.CUSTOMER_SUBMISSIONS else 3
        made += [NewTopic(name, partitions, 1) for name in (topic, topics.dlq(topic))]
    return made


async def create_topics(admin: AIOKafkaAdminClient) -> None:
    """The topics, created as the operator; those already there are kept."""
    existing = set(await admin.list_topics())
    missing = [topic for topic in all_topics() if topic.name not in existing]
    if missing:
        try:
            await admin.create_topics(missing)
        except TopicAlreadyExistsError:
            pass
