"""What the operators' Kafka commands (dlq, offsets) share: where the broker is, who they are on
it (the operator's principal), and a topic's partitions."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import TopicAuthorizationFailedError
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from claims_shared.kafka_access import KafkaAccess


class KafkaSettings(KafkaAccess):
    """Read as the services read them: KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC_PREFIX and the
    credentials (KafkaAccess; operators run the tools as the operator principal)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    bootstrap_servers: str = Field("127.0.0.1:19092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    topic_prefix: str = Field("", validation_alias="KAFKA_TOPIC_PREFIX")

    def client_options(self) -> dict[str, Any]:
        """Where the broker is and who this client is: what every client of the tools takes."""
        return {"bootstrap_servers": self.bootstrap_servers, **self.kafka_options()}


async def partitions_of(settings: KafkaSettings, topic: str) -> list[TopicPartition]:
    """The topic's partitions; none when the topic does not exist (yet). A principal that may
    not see the topic is told so, rather than shown an empty topic."""
    admin = AIOKafkaAdminClient(**settings.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if any(t["error_code"] == TopicAuthorizationFailedError.errno for t in described):
        raise TopicAuthorizationFailedError(topic)
    return sorted(
        TopicPartition(topic, p["partition"])
        for t in described
        if t["topic"] == topic and t["error_code"] == 0
        for p in t["partitions"]
    )
