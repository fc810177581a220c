"""The local infrastructure as one unit: Kafka, PostgreSQL, the mail catcher, clamd and the
object store (S3Proxy), and the KEY=value lines (.local/env) that tell services, tests and people
where they are."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from devinfra.clamd import LocalClamd
from devinfra.kafka import LocalKafka
from devinfra.kafka_clients import auth_on
from devinfra.mail import LocalMail
from devinfra.object_store import LocalObjectStore, ObjectStore
from devinfra.postgres import SERVICE_DATABASES, LocalPostgres

SERVICE_PORTS = {"identity": 8101, "registration": 8102, "claim_status": 8103, "notifier": 8104}
# The bucket `make infra` makes for the customers' documents (CLAIM_STATUS_OBJECT_STORE_BUCKET).
DOCUMENTS_BUCKET = "claim-documents"
# What claim-status reads of .local/env under its own names (`make up` passes them).
CLAIM_STATUS_SETTINGS = (
    "OBJECT_STORE_URL",
    "OBJECT_STORE_BUCKET",
    "OBJECT_STORE_ACCESS_KEY",
    "OBJECT_STORE_SECRET_KEY",
    "CLAMD_ADDRESS",
)


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass
class LocalStack:
    root: Path
    kafka: LocalKafka = field(init=False)
    postgres: LocalPostgres = field(init=False)
    mail: LocalMail = field(init=False)
    clamd: LocalClamd = field(init=False)
    object_store: LocalObjectStore = field(init=False)

    @classmethod
    def configured(cls, root: Path) -> LocalStack:
        """The ports people expect (each overridable), for `make infra` and `make up`."""
        stack = cls(root)
        stack.kafka.port = _port("KAFKA_PORT", 19092)
        stack.kafka.controller_port = _port("KAFKA_CONTROLLER_PORT", 19093)
        stack.postgres.port = _port("POSTGRES_PORT", 15432)
        stack.mail.smtp_port = _port("SMTP_PORT", 1025)
        stack.mail.http_port = _port("MAIL_WEB_PORT", 8025)
        stack.clamd.port = _port("CLAMD_PORT", 13310)
        stack.object_store.port = _port("OBJECT_STORE_PORT", 19000)
        return stack

    def __post_init__(self) -> None:
        self.kafka = LocalKafka(self.root / "kafka", secured=auth_on())
        self.postgres = LocalPostgres(self.root / "postgres")
        self.mail = LocalMail(self.root / "mail")
        self.clamd = LocalClamd(self.root / "clamd")
        self.object_store = LocalObjectStore(self.root / "s3proxy")

    def start(self) -> dict[str, str]:
        self.postgres.start()
        self.postgres.create_databases()
        self.mail.start()
        self.start_document_servers()
        self.kafka.start()
        return self.env()

    def start_document_servers(self) -> None:
        """clamd, and the object store with the documents' bucket."""
        self.clamd.start()
        self.object_store.start()
        store = ObjectStore(
            self.object_store.url, self.object_store.access_key, self.object_store.secret_key
        )
        if DOCUMENTS_BUCKET not in store.buckets():
            store.create_bucket(DOCUMENTS_BUCKET)

    def stop(self) -> None:
        stops = (
            self.kafka.stop,
            self.object_store.stop,
            self.clamd.stop,
            self.mail.stop,
            self.postgres.stop,
        )
        for stop in stops:
            try:
                stop()
            except Exception as error:  # keep stopping the others
                print(f"stopping: {error}")

    def env(self) -> dict[str, str]:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            **self.kafka.client_env(),
            "DATABASE_URL": self.postgres.url(),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.mail.smtp_port),
            "MAIL_WEB_URL": self.mail.web_url,
            "OBJECT_STORE_URL": self.object_store.url,
            "OBJECT_STORE_BUCKET": DOCUMENTS_BUCKET,
            "OBJECT_STORE_ACCESS_KEY": self.object_store.access_key,
            "OBJECT_STORE_SECRET_KEY": self.object_store.secret_key,
            "CLAMD_ADDRESS": self.clamd.address,
        }
        for database in SERVICE_DATABASES:
            env[f"{database.upper()}_DATABASE_URL"] = self.postgres.url(database)
        for service, port in SERVICE_PORTS.items():
            env[f"{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env["IDENTITY_JWKS_URL"] = f"{env['IDENTITY_URL']}/.well-known/jwks.json"
        env["GATEWAY_URL"] = f"http://127.0.0.1:{os.environ.get('GATEWAY_PORT', '8080')}"
        return env


def claim_status_env(env: dict[str, str]) -> dict[str, str]:
    """The document servers of `env` under claim-status's setting names (CLAIM_STATUS_...)."""
    return {f"CLAIM_STATUS_{key}": env[key] for key in CLAIM_STATUS_SETTINGS if key in env}


def write_env_file(env: dict[str, str], path: Path) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
