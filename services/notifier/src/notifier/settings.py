"""Settings of the notifier service; environment variables start with NOTIFIER_ (the SMTP server
is the shared SMTP_HOST / SMTP_PORT)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from claims_shared.settings import (
    DEVELOPMENT_SEALING_PRIVATE_KEY,
    CommaSeparated,
    ServiceSettings,
)


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", frozen=True)

    service_name: str = "notifier"
    consumer_group: str = "notifier"
    http_port: int = 8104
    smtp_host: str = Field("127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(1025, validation_alias="SMTP_PORT")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "お客さまWebサービス <noreply@claims-status.example.jp>"
    customer_web_url: str = "http://127.0.0.1:8080"
    # Whom a customer calls when a security notice was not them, e.g. "0120-000-000 平日9〜17時".
    # Empty: the notices say "contact us" with no number.
    contact_desk: str = ""
    sealing_private_key: str = DEVELOPMENT_SEALING_PRIVATE_KEY
    # Comma-separated keys still accepted while a rotation drains (docs/operations.md).
    previous_sealing_private_keys: CommaSeparated = ()
    max_send_attempts: int = 6
    send_retry_seconds: float = 2.0
    # A burst of one claim's changes makes one "status updated" mail, this long after the first.
    status_mail_window_seconds: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _refuse_development_key(self) -> "NotifierSettings":
        self.refuse_development_secret(
            self.sealing_private_key, DEVELOPMENT_SEALING_PRIVATE_KEY, "sealing key"
        )
        return self
