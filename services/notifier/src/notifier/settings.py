"""Settings of the notifier service; environment variables start with NOTIFIER_."""

from pydantic_settings import SettingsConfigDict

from claims_shared.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", frozen=True)

    service_name: str = "notifier"
    consumer_group: str = "notifier"
    http_port: int = 8104
