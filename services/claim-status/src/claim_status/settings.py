"""Settings of the claim-status service; environment variables start with CLAIM_STATUS_."""

from pydantic_settings import SettingsConfigDict

from claims_shared.settings import ServiceSettings


class ClaimStatusSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIM_STATUS_", extra="ignore", frozen=True)

    service_name: str = "claim-status"
    consumer_group: str = "claim-status"
    http_port: int = 8103
