"""Settings of the claim-status service; environment variables start with CLAIM_STATUS_."""

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from claims_shared.settings import CommaSeparated, ServiceSettings

WORKER_ORDER = ("consumer", "projection", "relay", "sweeper")
WORKERS = frozenset(WORKER_ORDER)


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

    @field_validator("workers")
    @classmethod
    def _known_workers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = set(value) - WORKERS
        if unknown:
            raise ValueError(f"unknown workers {sorted(unknown)}; choose from {sorted(WORKERS)}")
        return value

    @model_validator(mode="after")
    def _read_only_runs_no_workers(self) -> "ClaimStatusSettings":
        if self.read_only and self.workers:
            raise ValueError("a read-only instance runs no workers: set CLAIM_STATUS_WORKERS=''")
        return self
