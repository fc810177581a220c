"""What the notifier refuses to start with in production (APP_ENV=production): the development
keys everyone can read, the test loopback for push endpoints, and an empty contact desk (the
security mails tell a customer to call us, and GET /api/v1/contact-desk serves the number)."""

from typing import Any

import pytest
from pydantic import ValidationError

from notifier.admin import generate_sealing_key
from notifier.push_sending import generate_vapid_key
from notifier.settings import DEVELOPMENT_VAPID_PRIVATE_KEY, NotifierSettings

DESK = "0120-000-000 (9:00-17:00)"


@pytest.fixture
def real(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Production settings with every secret of its own, but the ones a test leaves out."""
    monkeypatch.setenv("APP_ENV", "production")
    private, public = generate_sealing_key()
    return {
        "sealing_private_key": private,
        "notifier_sealing_public_key": public,
        "database_url": "postgresql://notifier:a-real-password@db/notifier",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_username": "notifier",
        "kafka_password": "a-real-kafka-password",
        "vapid_private_key": generate_vapid_key()[0],
        "contact_desk": DESK,
    }


def test_production_starts_with_settings_of_its_own(real: dict[str, Any]) -> None:
    settings = NotifierSettings(**real)
    assert (settings.contact_desk, settings.vapid_private_key) == (DESK, real["vapid_private_key"])


def test_production_refuses_the_development_vapid_key_and_the_test_loopback(
    real: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError, match="development VAPID key"):
        NotifierSettings(**{**real, "vapid_private_key": DEVELOPMENT_VAPID_PRIVATE_KEY})
    with pytest.raises(ValidationError, match="LOOPBACK"):
        NotifierSettings(**real, push_allow_loopback_for_tests=True)


@pytest.mark.parametrize("desk", ["", "   ", "\u3000"])
def test_production_refuses_an_empty_contact_desk(real: dict[str, Any], desk: str) -> None:
    """A full-width space (what a Japanese keyboard types) is as empty as none."""
    with pytest.raises(ValidationError, match="NOTIFIER_CONTACT_DESK"):
        NotifierSettings(**{**real, "contact_desk": desk})
