"""Every service starts against the real database and broker and reports itself ready; with its
database gone it says so on /readyz instead of pretending."""

import importlib

import pytest
from fastapi.testclient import TestClient

from devinfra.kafka_users import SERVICE_PRINCIPALS

SERVICES = {
    "identity": "IdentitySettings",
    "registration": "RegistrationSettings",
    "claim_status": "ClaimStatusSettings",
    "notifier": "NotifierSettings",
}


@pytest.mark.parametrize("package", SERVICES)
def test_service_is_live_ready_and_measured(package: str, infrastructure, database_url) -> None:
    main = importlib.import_module(f"{package}.main")
    settings_type = getattr(importlib.import_module(f"{package}.settings"), SERVICES[package])
    settings = settings_type(
        database_url=database_url,
        **infrastructure.kafka_settings(SERVICE_PRINCIPALS[package]),
    )
    with TestClient(main.build(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        metrics = client.get("/metrics").text
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "kafka": "ok"}}
    assert f'service="{settings.service_name}"' in metrics


def test_service_settings_read_their_own_prefix(monkeypatch) -> None:
    monkeypatch.setenv("CLAIM_STATUS_DATABASE_URL", "postgresql://u:p@db.internal:5432/claims")
    monkeypatch.setenv("IDENTITY_DATABASE_URL", "postgresql://u:p@db.internal:5432/identity")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    from claim_status.settings import ClaimStatusSettings

    settings = ClaimStatusSettings()
    assert settings.database_url.endswith("/claims")
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.http_port == 8103
