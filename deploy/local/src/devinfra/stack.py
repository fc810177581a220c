"""The local infrastructure as one unit: Kafka, PostgreSQL and the mail catcher, and the
KEY=value lines (.local/env) that tell services, tests and people where they are."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from devinfra.kafka import LocalKafka
from devinfra.mail import LocalMail
from devinfra.postgres import SERVICE_DATABASES, LocalPostgres

SERVICE_PORTS = {"identity": 8101, "registration": 8102, "claim_status": 8103, "notifier": 8104}


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class LocalStack:
    root: Path
    kafka: LocalKafka = field(init=False)
    postgres: LocalPostgres = field(init=False)
    mail: LocalMail = field(init=False)

    @classmethod
    def configured(cls, root: Path) -> LocalStack:
        """The ports people expect (each overridable), for `make infra` and `make up`."""
        stack = cls(root)
        stack.kafka.port = _port("KAFKA_PORT", 19092)
        stack.kafka.controller_port = _port("KAFKA_CONTROLLER_PORT", 19093)
        stack.postgres.port = _port("POSTGRES_PORT", 15432)
        stack.mail.smtp_port = _port("SMTP_PORT", 1025)
        stack.mail.http_port = _port("MAIL_WEB_PORT", 8025)
        return stack

    def __post_init__(self) -> None:
        self.kafka = LocalKafka(self.root / "kafka")
        self.postgres = LocalPostgres(self.root / "postgres")
        self.mail = LocalMail(self.root / "mail")

    def start(self) -> dict[str, str]:
        self.postgres.start()
        self.postgres.create_databases()
        self.mail.start()
        self.kafka.start()
        return self.env()

    def stop(self) -> None:
        for stop in (self.kafka.stop, self.mail.stop, self.postgres.stop):
            try:
                stop()
            except Exception as error:  # keep stopping the others
                print(f"stopping: {error}")

    def env(self) -> dict[str, str]:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "DATABASE_URL": self.postgres.url(),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.mail.smtp_port),
            "MAIL_WEB_URL": self.mail.web_url,
        }
        for database in SERVICE_DATABASES:
            env[f"{database.upper()}_DATABASE_URL"] = self.postgres.url(database)
        for service, port in SERVICE_PORTS.items():
            env[f"{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env["IDENTITY_JWKS_URL"] = f"{env['IDENTITY_URL']}/.well-known/jwks.json"
        env["GATEWAY_URL"] = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"
        return env


def write_env_file(env: dict[str, str], path: Path) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
