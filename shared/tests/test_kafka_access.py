"""The one place that builds a Kafka client's security arguments, and what production refuses
(an unauthenticated connection, a nameless principal, the local broker's passwords)."""

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from claims_shared.kafka_access import KafkaAccess
from claims_shared.settings import ServiceSettings
from devinfra.kafka_tls import make_certificates

REAL = {
    "database_url": "postgresql://svc:a-real-password@db/svc",
    "notifier_sealing_public_key": "a-real-sealing-key",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_username": "registration",
    "kafka_password": "a-real-kafka-password",
}


@pytest.fixture(autouse=True)
def no_broker_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests give the settings themselves: a sourced .local/env (the shared broker's
    SASL_SSL, its CA and a principal) would otherwise be read under them."""
    for name in (
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SSL_CAFILE",
        "KAFKA_SSL_CA_PEM",
        "KAFKA_USERNAME",
        "KAFKA_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


def test_sasl_ssl_gives_scram_credentials_and_a_tls_context() -> None:
    options = KafkaAccess(
        kafka_security_protocol="SASL_SSL", kafka_username="notifier", kafka_password="pw"
    ).kafka_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("notifier", "pw")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


def test_the_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_USERNAME", "identity")
    monkeypatch.setenv("KAFKA_PASSWORD", "from-the-secret")
    settings = ServiceSettings()
    assert settings.kafka_options()["sasl_plain_username"] == "identity"
    assert "from-the-secret" not in repr(settings)


def test_plaintext_outside_production_has_no_credentials() -> None:
    assert KafkaAccess().kafka_options() == {"security_protocol": "PLAINTEXT"}


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"kafka_security_protocol": "PLAINTEXT"}, "PLAINTEXT is refused"),
        ({"kafka_password": ""}, "needs KAFKA_USERNAME and KAFKA_PASSWORD"),
        ({"kafka_password": "claims-local-only-kafka-registration"}, "local development Kafka"),
    ],
)
def test_production_refuses_unsafe_kafka_access(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, str], refusal: str
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    ServiceSettings(**REAL)  # the real thing starts
    with pytest.raises(ValidationError, match=refusal):
        ServiceSettings(**(REAL | change))


def test_the_brokers_ca_is_trusted_from_a_file_or_from_its_text(tmp_path: Path) -> None:
    ca_file, _ = make_certificates(tmp_path)
    for given in ({"kafka_ssl_cafile": str(ca_file)}, {"kafka_ssl_ca_pem": ca_file.read_text()}):
        access = KafkaAccess(kafka_security_protocol="SASL_SSL", **given)
        trusted = access.kafka_options()["ssl_context"].get_ca_certs()
        assert [dict(ca["subject"][-1])["commonName"] for ca in trusted] == [
            "claims-status local Kafka CA"
        ]
