"""Settings of the identity service; environment variables start with IDENTITY_."""

from datetime import timedelta

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from claims_shared.settings import CommaSeparated, ServiceSettings
from claims_shared.throttle import LockoutPolicy

# Development only; refused when APP_ENV=production.
DEVELOPMENT_KEY_ENCRYPTION_KEY = "iEtRtMXQ6iy/X7tT3fVFGlVKAiLcQNut2b0MIXrzSds="
# Passkeys on the local gateway: browsers refuse an IP address as a relying-party id, so the
# development origin is http://localhost:8080 (a secure context without TLS).
DEVELOPMENT_WEBAUTHN_RP_ID = "localhost"
DEVELOPMENT_WEBAUTHN_ORIGINS = ("http://localhost:8080",)


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore", frozen=True)

    service_name: str = "identity"
    http_port: int = 8101
    key_encryption_key: str = DEVELOPMENT_KEY_ENCRYPTION_KEY
    # While the key-encryption key is rotated (python -m identity.admin rotate-kek): the one
    # before, so keys not yet re-sealed still open. Unset again once the rotation is done.
    previous_key_encryption_key: str | None = None
    access_token_seconds: int = 900
    refresh_token_days: int = 30
    temporary_password_hours: int = 24
    password_reset_min_interval_seconds: int = 60
    # Every reset request answers after this long from its start, whatever the account's state
    # (the work takes ~30-100 ms; the floor must stay above it even under load).
    password_reset_answer_seconds: float = Field(default=0.5, gt=0, le=10)
    throttle_after_failures: int = 5
    lock_after_failures: int = 10
    lock_minutes: int = 30
    throttle_first_delay_seconds: int = 2
    throttle_max_delay_seconds: int = 60
    consumer_group: str = "identity"
    webauthn_rp_id: str = DEVELOPMENT_WEBAUTHN_RP_ID
    webauthn_rp_name: str = "お客さまWebサービス"
    webauthn_origins: CommaSeparated = DEVELOPMENT_WEBAUTHN_ORIGINS
    webauthn_challenge_seconds: int = Field(default=300, gt=0, le=600)
    recent_sign_in_seconds: int = Field(default=600, gt=0)

    @model_validator(mode="after")
    def _refuse_development_key(self) -> "IdentitySettings":
        self.refuse_development_secret(
            self.key_encryption_key, DEVELOPMENT_KEY_ENCRYPTION_KEY, "key-encryption key"
        )
        self.refuse_development_secret(
            self.webauthn_rp_id, DEVELOPMENT_WEBAUTHN_RP_ID, "WebAuthn relying-party id"
        )
        origins = self.webauthn_origins
        if self.environment == "production" and not (
            origins and all(origin.startswith("https://") for origin in origins)
        ):
            raise ValueError("WebAuthn origins must be given, each https://, in production")
        return self

    @property
    def lockout_policy(self) -> LockoutPolicy:
        return LockoutPolicy(
            throttle_after=self.throttle_after_failures,
            lock_after=self.lock_after_failures,
            lock_for=timedelta(minutes=self.lock_minutes),
            first_delay=timedelta(seconds=self.throttle_first_delay_seconds),
            max_delay=timedelta(seconds=self.throttle_max_delay_seconds),
        )
