"""Who may do what on Kafka: one principal per service, the adjusters' systems, the policy
system and the operator, with the ACLs the broker (KRaft's StandardAuthorizer) enforces.

The same table is what deploy/k8s's Strimzi `KafkaUser`s say (tests/test_kafka_acls.py compares
them). A service writes only the topics it produces and the DLQs of the topics it consumes, reads
only what it consumes, in its own consumer group (a group ACL is a prefix: tests run a service
in `<group>-<test>`). The local broker's passwords are development values (they hold
`claims-local-only`, which production refuses); each process started by devinfra or a test gets
its own principal's through `credentials_env`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from claims_shared.events import topics
from claims_shared.kafka_access import LOCAL_PASSWORD_MARK

BROKER_USER = "kafka-broker"
"""The broker's own super user (inter-broker and controller traffic, applying ACLs); no service
uses it."""
BROKER_PASSWORD = f"{LOCAL_PASSWORD_MARK}-kafka-broker"
SCRAM: Final = "SCRAM-SHA-512"


@dataclass(frozen=True)
class Principal:
    """A SCRAM user and its grants. `env_name` names its .local/env variables
    (KAFKA_<ENV_NAME>_USERNAME / _PASSWORD)."""

    name: str
    env_name: str
    writes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    operator: bool = False

    @property
    def password(self) -> str:
        return f"{LOCAL_PASSWORD_MARK}-kafka-{self.name}"


def _consumer(
    name: str, env_name: str, writes: tuple[str, ...], reads: tuple[str, ...]
) -> Principal:
    """A service: it also writes the DLQ of each topic it reads, in its own group."""
    dlqs = tuple(topics.dlq(topic) for topic in reads)
    return Principal(name, env_name, writes=writes + dlqs, reads=reads, groups=(name,))


PRINCIPALS: tuple[Principal, ...] = (
    _consumer("identity", "IDENTITY", (topics.IDENTITY_EVENTS,), (topics.REGISTRATION_EVENTS,)),
    _consumer(
        "registration", "REGISTRATION", (topics.REGISTRATION_EVENTS,), (topics.POLICY_RECORDS,)
    ),
    _consumer(
        "claim-status",
        "CLAIM_STATUS",
        (topics.CLAIM_STATUS_EVENTS, topics.CUSTOMER_SUBMISSIONS),
        (topics.ADJUSTER_UPDATES,),
    ),
    _consumer(
        "notifier",
        "NOTIFIER",
        (),
        (topics.REGISTRATION_EVENTS, topics.IDENTITY_EVENTS, topics.CLAIM_STATUS_EVENTS),
    ),
    # The claims handlers' systems answer what customers send (claims.customer-submissions,
    # docs/contracts) with their updates: they read that topic in their own group.
    Principal(
        "adjusters",
        "ADJUSTERS",
        writes=(topics.ADJUSTER_UPDATES,),
        reads=(topics.CUSTOMER_SUBMISSIONS,),
        groups=("adjusters",),
    ),
    Principal("policy-system", "POLICY_SYSTEM", writes=(topics.POLICY_RECORDS,)),
    Principal("operator", "OPERATOR", operator=True),
)
"""The operator administers topics (creates them), reads and replays DLQs (`claims_shared.dlq`,
group dlq-replay), reads offsets (`claims_shared.offsets`) and sets up tests: every topic and
group, and the cluster's topic creation and description."""

SERVICE_PRINCIPALS = {
    "identity": "identity",
    "registration": "registration",
    "claim_status": "claim-status",
    "notifier": "notifier",
}
"""The principal each service's process runs as (keyed by its Python package)."""


def principal(name: str) -> Principal:
    return next(p for p in PRINCIPALS if p.name == name)


def credentials_env(name: str) -> dict[str, str]:
    """KAFKA_USERNAME / KAFKA_PASSWORD for a process that acts as `name`."""
    return {"KAFKA_USERNAME": name, "KAFKA_PASSWORD": principal(name).password}


def env_lines() -> dict[str, str]:
    """Each principal's KAFKA_<NAME>_USERNAME / _PASSWORD, for .local/env."""
    env: dict[str, str] = {}
    for each in PRINCIPALS:
        env[f"KAFKA_{each.env_name}_USERNAME"] = each.name
        env[f"KAFKA_{each.env_name}_PASSWORD"] = each.password
    return env
