"""Settings of the registration service; environment variables start with REGISTRATION_."""

from pydantic_settings import SettingsConfigDict

from claims_shared.settings import ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore", frozen=True)

    service_name: str = "registration"
    consumer_group: str = "registration"
    http_port: int = 8102
    registration_token_minutes: int = 15
    temporary_password_hours: int = 24
    code_throttle_after_failures: int = 3
    code_lock_after_failures: int = 5
    code_lock_minutes: int = 30
