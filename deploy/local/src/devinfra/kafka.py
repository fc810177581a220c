"""A single-node KRaft Kafka broker run from the jars Maven fetched (deploy/kafka/pom.xml).

Static controller quorum, so formatting needs no --standalone; every listener on 127.0.0.1.
"""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from devinfra.maven import copy_jars
from devinfra.paths import free_port, local_dir, port_answers, repo_root
from devinfra.processes import LocalProcess, require_java

STARTED_MESSAGE = "Kafka Server started"

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
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "inter.broker.listener.name=PLAINTEXT",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
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
        if (self.state_dir / "data" / "meta.properties").exists():
            return
        subprocess.run(
            self._java(
                "kafka.tools.StorageTool",
                "format",
                "-t",
                _cluster_id(),
                "-c",
                str(config),
                "-g",
                min_heap="64m",
                max_heap="256m",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def is_running(self) -> bool:
        return self._answers(lambda: port_answers(self.port))

    def start(self, timeout: float = 90.0) -> LocalKafka:
        """Start the broker, or keep the one already running from this state folder."""
        if self._keeps_running(self.port):
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
        return self

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
        super().stop(timeout)
