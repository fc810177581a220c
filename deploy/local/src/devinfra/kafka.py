"""A single-node KRaft Kafka broker run from the jars Maven fetched (deploy/kafka/pom.xml).

Static controller quorum, so formatting needs no --standalone; every listener on 127.0.0.1.

`secured` (what `make infra` runs; KAFKA_AUTH=off for a bare broker): clients connect over
SASL_SSL with SCRAM-SHA-512 (a private CA and certificate made into the state folder, the SCRAM
users of `kafka_users.PRINCIPALS` added when the storage is formatted), and KRaft's
StandardAuthorizer allows only what `kafka_acls` grants, applied at every start. The
controller listener takes SASL/PLAIN from the broker's own super user only (SCRAM cannot
authenticate controllers: its credentials live in the metadata the controller serves).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from claims_shared.kafka_access import KafkaAccess
from devinfra import kafka_acls, kafka_clients
from devinfra.kafka_tls import make_certificates
from devinfra.kafka_users import BROKER_PASSWORD, BROKER_USER, PRINCIPALS, SCRAM, env_lines
from devinfra.maven import copy_jars
from devinfra.paths import free_port, local_dir, port_answers, repo_root
from devinfra.processes import LocalProcess, require_java

STARTED_MESSAGE = "Kafka Server started"
USERS_MARK = "scram-users"  # in the state folder: the storage was formatted with the SCRAM users

LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.org.name = org.apache.kafka
logger.org.level = WARN
logger.started.name = kafka.server.KafkaRaftServer
logger.started.level = INFO
"""


def libs_dir() -> Path:
    return local_dir() / "kafka" / "libs"


def fetch_jars() -> Path:
    """Copy the broker jars once (deploy/kafka/pom.xml)."""
    return copy_jars(repo_root() / "deploy" / "kafka" / "pom.xml", libs_dir())


def _cluster_id() -> str:
    """22 characters of base64url, as kafka-storage random-uuid prints; never a leading '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


@dataclass
class LocalKafka(LocalProcess):
    """A broker whose state lives in `state_dir`; `port` 0 picks a free one."""

    port: int = 0
    controller_port: int = 0
    heap: str = "512m"
    secured: bool = False

    pid_name = "broker.pid"
    log_name = "broker.log"

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "log4j2.properties").write_text(LOG4J2)
        config = self.state_dir / "server.properties"
        config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    *(self._security() if self.secured else self._plaintext()),
                    f"log.dirs={self.state_dir / 'data'}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=3",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "",
                ]
            )
        )
        return config

    def _plaintext(self) -> list[str]:
        return [
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "inter.broker.listener.name=PLAINTEXT",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        ]

    def _security(self) -> list[str]:
        """SASL_SSL with SCRAM for every client, ACLs, the broker as the only super user."""
        ca_file, broker_file = make_certificates(self.state_dir / "tls")
        user = f'username="{BROKER_USER}" password="{BROKER_PASSWORD}"'
        return [
            f"listeners=SASL_SSL://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=SASL_SSL://127.0.0.1:{self.port}",
            "inter.broker.listener.name=SASL_SSL",
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
            f"sasl.mechanism.inter.broker.protocol={SCRAM}",
            "sasl.mechanism.controller.protocol=PLAIN",
            f"listener.name.sasl_ssl.sasl.enabled.mechanisms={SCRAM}",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
            f"org.apache.kafka.common.security.scram.ScramLoginModule required {user};",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            "listener.name.controller.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'{user} user_{BROKER_USER}="{BROKER_PASSWORD}";',
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={broker_file}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={ca_file}",
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            f"super.users=User:{BROKER_USER}",
            "allow.everyone.if.no.acl.found=false",
        ]

    def _scram_users(self) -> list[str]:
        """kafka-storage format's --add-scram for the broker and every principal."""
        users = [(BROKER_USER, BROKER_PASSWORD)] + [(p.name, p.password) for p in PRINCIPALS]
        return [
            arg
            for name, password in users
            for arg in ("--add-scram", f"{SCRAM}=[name={name},password={password}]")
        ]

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "tls" / "ca.pem"

    def access(self, name: str) -> KafkaAccess:
        """The credentials of principal `name` on this broker (PLAINTEXT when not secured)."""
        return kafka_clients.access(self.bootstrap_servers, name)

    def client_env(self) -> dict[str, str]:
        """What .local/env says of how to connect, with every principal's credentials."""
        if not self.secured:
            return {"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"}
        return {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": SCRAM,
            "KAFKA_SSL_CAFILE": str(self.ca_file),
            **env_lines(),
        }

    def _java(self, *args: str, min_heap: str, max_heap: str) -> list[str]:
        return [
            "java",
            f"-Xms{min_heap}",
            f"-Xmx{max_heap}",
            "-XX:+UseG1GC",
            # The client compiler only: a broker that lives for a test run or a bench spent
            # half a core for minutes in C2 compilation (measured per JVM thread at 1,000
            # messages/s), more than its request handling; a long-lived production broker
            # compiles once, so its figures are nearer this one's than a fresh C2 broker's.
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.state_dir / 'logs'}",
            f"-Dlog4j2.configurationFile={self.state_dir / 'log4j2.properties'}",
            "-cp",
            f"{fetch_jars()}/*",
            *args,
        ]

    def _format(self, config: Path) -> None:
        """Once per state folder; a folder formatted without the SCRAM users (a broker that ran
        without `secured`) is formatted again, losing its messages."""
        mark = self.state_dir / USERS_MARK
        if (self.state_dir / "data" / "meta.properties").exists():
            if not self.secured or mark.exists():
                return
            shutil.rmtree(self.state_dir / "data")
        subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                _cluster_id(),
                "-c",
                str(config),
                "-g",
                *(self._scram_users() if self.secured else []),
                min_heap="64m",
                max_heap="256m",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if self.secured:
            mark.write_text("formatted with the SCRAM users of devinfra.kafka_users\n")

    def is_running(self) -> bool:
        return self._answers(lambda: port_answers(self.port))

    def start(self, timeout: float = 90.0) -> LocalKafka:
        """Start the broker, or keep the one already running from this state folder."""
        if self._keeps_running(self.port):
            if self.secured:
                kafka_clients.register(self.bootstrap_servers, str(self.ca_file))
            return self
        require_java()
        config = self._write_config()
        self._format(config)
        log = self.log_file.open("ab")
        offset = self.log_file.stat().st_size
        process = self._spawn(
            self._java("kafka.Kafka", str(config), min_heap=self.heap, max_heap=self.heap),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.pid_file.write_text(str(process.pid))
        self._wait_started(offset, timeout)
        if self.secured:
            kafka_clients.register(self.bootstrap_servers, str(self.ca_file))
            kafka_clients.run_apart(self._authorise())
        return self

    async def _authorise(self) -> None:
        """The ACLs (as the broker's super user), then the topics (as the operator)."""
        bootstrap = self.bootstrap_servers
        async with kafka_clients.admin(bootstrap, kafka_clients.super_user(bootstrap)) as admin:
            await kafka_acls.grant(admin)
        async with kafka_clients.admin(bootstrap, self.access("operator")) as admin:
            await kafka_acls.create_topics(admin)

    def _wait_started(self, offset: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"Kafka exited early; see {self.log_file}")
            with self.log_file.open("rb") as handle:
                handle.seek(offset)
                started = STARTED_MESSAGE.encode() in handle.read()
            if started and port_answers(self.port):
                return
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"Kafka did not start within {timeout}s; see {self.log_file}")

    def stop(self, timeout: float = 30.0) -> None:
        """A controlled shutdown takes the broker longer than the other servers."""
        kafka_clients.unregister(self.bootstrap_servers)
        super().stop(timeout)
