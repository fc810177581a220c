"""How a Kafka client proves who it is: the one place that turns the KAFKA_SECURITY_PROTOCOL,
KAFKA_SASL_MECHANISM, KAFKA_USERNAME, KAFKA_PASSWORD and KAFKA_SSL_CAFILE (or KAFKA_SSL_CA_PEM)
settings into
aiokafka's keyword arguments, so every producer, consumer and admin client (services, the
operators' tools, tests) authenticates the same way.

The broker authorises each principal with ACLs (one principal per service, the adjusters'
systems, the policy system, the operator): a client without a name of its own has nothing to
do on it. PLAINTEXT is the default only so a bare development broker still answers; production
refuses it, and refuses the local brokers' passwords (they are in the repository)."""

from __future__ import annotations

from typing import Any, Literal

from aiokafka.helpers import create_ssl_context
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_PASSWORD_MARK = "claims-local-only"  # noqa: S105 (a mark that names no password)
"""Every password of the local broker (devinfra) holds this; production refuses them."""

SecurityProtocol = Literal["PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]


class KafkaAccess(BaseSettings):
    """The unprefixed Kafka credentials one process holds (each service its own principal)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    kafka_security_protocol: SecurityProtocol = Field(
        "PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: SaslMechanism = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_username: str = Field("", validation_alias="KAFKA_USERNAME")
    kafka_password: str = Field("", validation_alias="KAFKA_PASSWORD", repr=False)
    kafka_ssl_cafile: str = Field(
        "",
        validation_alias="KAFKA_SSL_CAFILE",
        description="PEM file of the CA that signed the broker's certificate; empty: the "
        "system's trusted CAs.",
    )
    kafka_ssl_ca_pem: str = Field(
        "",
        validation_alias="KAFKA_SSL_CA_PEM",
        description="The same CA as PEM text, where the platform hands it over as a value "
        "(Kubernetes: Strimzi's cluster CA Secret as an environment variable, so no pod "
        "mounts anything but its emptyDirs).",
        repr=False,
    )

    def kafka_options(self) -> dict[str, Any]:
        """aiokafka's security keyword arguments for a producer, consumer or admin client."""
        if self.kafka_security_protocol == "PLAINTEXT":
            return {"security_protocol": "PLAINTEXT"}
        return {
            "security_protocol": self.kafka_security_protocol,
            "sasl_mechanism": self.kafka_sasl_mechanism,
            "sasl_plain_username": self.kafka_username,
            "sasl_plain_password": self.kafka_password,
            "ssl_context": create_ssl_context(
                cafile=self.kafka_ssl_cafile or None, cadata=self.kafka_ssl_ca_pem or None
            ),
        }

    def refuse_insecure_kafka(self) -> None:
        """For production settings: an unauthenticated connection, or a principal without a
        name or with the local broker's password, stops the process from starting."""
        if self.kafka_security_protocol == "PLAINTEXT":
            raise ValueError(
                "Kafka over PLAINTEXT is refused in production (KAFKA_SECURITY_PROTOCOL)"
            )
        if not self.kafka_username or not self.kafka_password:
            raise ValueError("production needs KAFKA_USERNAME and KAFKA_PASSWORD")
        if LOCAL_PASSWORD_MARK in self.kafka_password:
            raise ValueError("the local development Kafka password is refused in production")
