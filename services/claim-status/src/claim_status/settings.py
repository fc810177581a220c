"""Settings of the claim-status service; environment variables start with CLAIM_STATUS_."""

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from claims_shared.settings import CommaSeparated, ServiceSettings

WORKER_ORDER = ("consumer", "projection", "relay", "sweeper")
WORKERS = frozenset(WORKER_ORDER)
# S3Proxy's local-only secret (devinfra.object_store): refused in production.
DEVELOPMENT_OBJECT_STORE_SECRET_KEY = "claims-local-only-secret"  # noqa: S105 - refused in production


class ClaimStatusSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIM_STATUS_", extra="ignore", frozen=True)

    service_name: str = "claim-status"
    consumer_group: str = "claim-status"
    http_port: int = 8103
    hold_early_updates_seconds: int = 600
    sweep_interval_seconds: float = 10.0
    read_model_version: int = 1
    workers: CommaSeparated = WORKER_ORDER  # split across processes to scale out
    claim_cache_size: int = 20000  # claims kept in memory (this process writes them)
    # Serve the customer API from a PostgreSQL read replica: no workers, no schema set-up.
    read_only: bool = False
    # The handlers' 受付時間, shown beside each accident's message board (ja, en).
    handler_office_hours: str = "平日 9:00〜17:00"
    handler_office_hours_en: str = "Weekdays 9:00-17:00"
    messages_per_hour: int = Field(20, ge=1)  # a customer's messages, all claims together
    # 「通常◯日程度」: the median time in a stage over the claims closed in the last window, shown
    # only when at least typical_min_claims back it.
    typical_window_days: int = Field(180, ge=1)
    typical_min_claims: int = Field(20, ge=1)
    # お支払い期限: the insurer's payment terms (unset: claim_status/payment_terms.toml, 30 days
    # and each extension reason's days), and how many days ahead an unpaid claim's deadline is
    # near for the operators' metric and `python -m claim_status.deadlines`.
    payment_terms_file: Path | None = None
    deadline_warning_days: int = Field(7, ge=0)

    # Customers' documents: bytes in an S3 API bucket under documents/{claim_id}/{document_id},
    # infected ones under quarantine/...; each upload scanned by clamd (host:port or a socket).
    object_store_url: str = "http://127.0.0.1:19000"
    object_store_bucket: str = "claim-documents"
    object_store_access_key: str = "claims-local"
    object_store_secret_key: str = DEVELOPMENT_OBJECT_STORE_SECRET_KEY
    object_store_region: str = "us-east-1"
    clamd_address: str = "127.0.0.1:13310"
    clamd_timeout_seconds: float = Field(30.0, gt=0)
    max_upload_bytes: int = Field(10 * 1024 * 1024, gt=0)  # a file; larger is 413
    max_files_per_request: int = Field(20, gt=0)  # documents sent against one request
    uploads_per_hour: int = Field(30, gt=0)  # files a customer may send in any hour

    @field_validator("workers")
    @classmethod
    def _known_workers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - WORKERS
        if unknown:
            raise ValueError(f"unknown workers {sorted(unknown)}; choose from {sorted(WORKERS)}")
        return value

    @model_validator(mode="after")
    def _refuse_development_key(self) -> "ClaimStatusSettings":
        self.refuse_development_secret(
            self.object_store_secret_key,
            DEVELOPMENT_OBJECT_STORE_SECRET_KEY,
            "object store secret key",
        )
        return self

    @model_validator(mode="after")
    def _read_only_runs_no_workers(self) -> "ClaimStatusSettings":
        if self.read_only and self.workers:
            raise ValueError("a read-only instance runs no workers: set CLAIM_STATUS_WORKERS=''")
        return self
