"""Settings of the identity service; environment variables start with IDENTITY_."""

from pydantic_settings import SettingsConfigDict

from claims_shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore", frozen=True)

    service_name: str = "identity"
    http_port: int = 8101
