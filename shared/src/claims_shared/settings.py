"""Settings from the environment. Each service subclasses ServiceSettings with its own env prefix
(IDENTITY_, REGISTRATION_, ...); what all services share (Kafka, the maintenance window, identity's
JWKS) is read without a prefix so one .local/env serves them all."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from claims_shared.kafka_access import KafkaAccess

# Development-only keys, refused when APP_ENV=production. The notifier holds the private half.
DEVELOPMENT_SEALING_PUBLIC_KEY = "7Ni6Vg50DC3a5ESVISFbgCUHI1jxejigF132VkKacUg="
DEVELOPMENT_SEALING_PRIVATE_KEY = "e5WHLPHCb1lB0m4jNDcnP8Pws2w0sKTNd16L1TybKoI="


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CommaSeparated = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas)]
"""A list setting written as operators write it in an environment variable, `a, b,c`: parsed
here once, so composition roots get a tuple (and not JSON, pydantic-settings' default)."""


class ServiceSettings(KafkaAccess):
    """What every service reads; the Kafka credentials (`KafkaAccess`) are its own principal's."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias="APP_ENV"
    )
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    log_format: Literal["auto", "json", "console"] = Field(
        "auto",
        validation_alias="LOG_FORMAT",
        description="json for machines (production); console: one coloured line an event, for "
        "a person at a terminal; auto: console when stdout is a terminal, else json.",
    )
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    database_url: str = "postgresql://claims:claims-local-only@127.0.0.1:15432/postgres"
    database_pool_size: int = 10
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:19092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    kafka_topic_prefix: str = Field("", validation_alias="KAFKA_TOPIC_PREFIX")
    consumer_group: str = "service"  # each service's settings name its own group
    maintenance_windows: str = Field(
        "MON 02:00-04:00",
        validation_alias="MAINTENANCE_WINDOWS",
        description="Comma-separated 'DAY HH:MM-HH:MM' in maintenance_timezone; empty disables.",
    )
    maintenance_timezone: str = Field("Asia/Tokyo", validation_alias="MAINTENANCE_TIMEZONE")
    identity_jwks_url: str = Field(
        "http://127.0.0.1:8101/.well-known/jwks.json", validation_alias="IDENTITY_JWKS_URL"
    )
    token_issuer: str = Field("claims-status-identity", validation_alias="TOKEN_ISSUER")
    token_audience: str = Field("claims-status", validation_alias="TOKEN_AUDIENCE")
    notifier_sealing_public_key: str = Field(
        DEVELOPMENT_SEALING_PUBLIC_KEY,
        validation_alias="NOTIFIER_SEALING_PUBLIC_KEY",
        description="Base64 X25519 public key; temporary passwords are sealed to it.",
    )

    @model_validator(mode="after")
    def _refuse_local_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            if "claims-local-only" in self.database_url:
                raise ValueError("the local development database password is refused in production")
            self.refuse_insecure_kafka()
        self.refuse_development_secret(
            self.notifier_sealing_public_key, DEVELOPMENT_SEALING_PUBLIC_KEY, "sealing key"
        )
        return self

    def refuse_development_secret(self, value: str, development: str, name: str) -> None:
        """For each service's own validator: a secret still at the value committed for
        development (everyone can read it) stops production from starting."""
        if self.environment == "production" and value == development:
            raise ValueError(f"the development {name} is refused in production")


def eventsourcing_env(database_url: str) -> dict[str, str]:
    """The environment eventsourcing's PostgreSQL persistence reads, derived from one URL."""
    url = urlsplit(database_url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or ""),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": "claims_shared.event_store:EventStoreRecorder",
        "TRANSCODER_TOPIC": "claims_shared.transcoder:OrjsonTranscoder",
    }
    return env
