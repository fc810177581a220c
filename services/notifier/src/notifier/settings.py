"""Settings of the notifier service; environment variables start with NOTIFIER_ (the SMTP server
is the shared SMTP_HOST / SMTP_PORT)."""

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from claims_shared.settings import (
    DEVELOPMENT_SEALING_PRIVATE_KEY,
    CommaSeparated,
    ServiceSettings,
)

# The VAPID key (RFC 8292) committed for development and tests: everyone can read it, so
# production refuses it. `python -m notifier.admin generate-vapid-key` makes a real one.
DEVELOPMENT_VAPID_PRIVATE_KEY = "u2wPpi2jxmwrz1_0GrsGKA5qrIco8Zz_BqEicC5PeCE"


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
    # Whom a customer calls when a security notice was not them, e.g. "0120-000-000 平日9〜17時"
    # (the mails and GET /api/v1/contact-desk). Empty in development: the notices say "contact
    # us" with no number, which production refuses (a mail that says "call us" must say where).
    contact_desk: str = ""
    sealing_private_key: str = DEVELOPMENT_SEALING_PRIVATE_KEY
    # Comma-separated keys still accepted while a rotation drains (docs/operations.md).
    previous_sealing_private_keys: CommaSeparated = ()
    max_send_attempts: int = 6
    send_retry_seconds: float = 2.0
    # A burst of one claim's changes makes one "status updated" mail, this long after the first.
    status_mail_window_seconds: float = Field(60.0, ge=0)
    # Web Push: the application server's P-256 key (base64url, raw 32 bytes) that signs each
    # push (VAPID), and the contact the push services see in the signature (mailto: or https:).
    vapid_private_key: str = DEVELOPMENT_VAPID_PRIVATE_KEY
    vapid_subject: str = Field(
        "mailto:noreply@claims-status.example.jp", pattern=r"^(mailto:|https://)\S+$"
    )
    # How long a push service keeps a push for a phone that is off (the TTL header).
    push_ttl_seconds: int = Field(24 * 3600, ge=0)
    push_timeout_seconds: float = Field(10.0, gt=0)
    # Tests only: an endpoint whose host is written 127.0.0.1 (http too) is called
    # (notifier.push_endpoints). Refused in production.
    push_allow_loopback_for_tests: bool = False

    @model_validator(mode="after")
    def _refuse_development_key(self) -> "NotifierSettings":
        self.refuse_development_secret(
            self.sealing_private_key, DEVELOPMENT_SEALING_PRIVATE_KEY, "sealing key"
        )
        self.refuse_development_secret(
            self.vapid_private_key, DEVELOPMENT_VAPID_PRIVATE_KEY, "VAPID key"
        )
        if self.environment == "production" and self.push_allow_loopback_for_tests:
            raise ValueError("NOTIFIER_PUSH_ALLOW_LOOPBACK_FOR_TESTS is refused in production")
        if self.environment == "production" and not self.contact_desk.strip():
            raise ValueError("NOTIFIER_CONTACT_DESK must name the desk's number in production")
        return self
