"""Passkeys' rules as a customer meets them, with identity's ports in memory and a software
authenticator (soft_authenticator) standing in for the browser: adding needs a recent sign-in,
a challenge is used once, answers from another origin or with a sign count going backwards are
refused, and a passkey's sign-in obeys the lock-out like a password's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from soft_authenticator import SoftPasskey, create, get

from claims_shared.events import (
    PasskeyAdded,
    PasskeyDisabled,
    PasskeyRemoved,
    SignedInFromNewDevice,
)
from claims_shared.testing import leaving
from devinfra.testing import ManualClock, in_process
from identity.integration import translate
from identity.main import IdentityPorts, build
from identity.settings import IdentitySettings
from identity_fakes import in_memory_ports, opening
from identity_harness import PASSWORD, a_customer

ORIGIN = "http://localhost:8080"


@dataclass
class Customer:
    client: httpx.AsyncClient
    clock: ManualClock
    ports: IdentityPorts
    email: str = ""
    access_token: str = ""

    async def log_in(self) -> None:
        response = await self.client.post(
            "/api/v1/sessions", json={"email": self.email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.access_token = response.json()["access_token"]

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    async def add_passkey(
        self, origin: str = ORIGIN, name: str | None = "iPhone"
    ) -> tuple[SoftPasskey, httpx.Response]:
        ceremony = await self.client.post("/api/v1/me/passkeys/options", headers=self.bearer)
        assert ceremony.status_code == 200, ceremony.text
        passkey, answer = create(ceremony.json()["options"], origin)
        added = await self.client.post(
            "/api/v1/me/passkeys",
            headers=self.bearer,
            json={
                "challenge_id": ceremony.json()["challenge_id"],
                "name": name,
                "credential": answer,
            },
        )
        return passkey, added

    async def sign_in_with(
        self, passkey: SoftPasskey, origin: str = ORIGIN, device_id: str | None = None, **how: Any
    ) -> httpx.Response:
        ceremony = (await self.client.post("/api/v1/sessions/passkey/options")).json()
        body = {
            "challenge_id": ceremony["challenge_id"],
            "credential": get(passkey, ceremony["options"], origin, **how),
        }
        return await self.client.post(
            "/api/v1/sessions/passkey", json=body | ({"device_id": device_id} if device_id else {})
        )

    def told(self) -> list[Any]:
        return leaving(self.ports.accounts, translate(self.ports.accounts))


@pytest.fixture
async def customer() -> AsyncIterator[Customer]:
    clock = ManualClock()
    settings = IdentitySettings(lock_after_failures=5, throttle_after_failures=3)
    ports = in_memory_ports(settings)
    fields = {**a_customer(), "temporary_password_expires_at": None, "language": "ja", "roles": []}
    assert ports.accounts.register(**fields)
    async with in_process(build(settings, clock, opening(ports)), "http://identity") as client:
        signed_in = Customer(client, clock, ports, email=str(fields["email"]))
        await signed_in.log_in()
        yield signed_in


async def test_a_customer_adds_a_passkey_and_signs_in_with_it_instead_of_the_password(
    customer: Customer,
) -> None:
    passkey, added = await customer.add_passkey()
    listed = await customer.client.get("/api/v1/me/passkeys", headers=customer.bearer)
    signed_in = await customer.sign_in_with(passkey)

    assert added.status_code == 201
    assert [p["name"] for p in listed.json()] == ["iPhone"]
    assert signed_in.status_code == 200
    assert signed_in.json()["refresh_token"]
    assert signed_in.json()["password_change_required"] is False
    me = await customer.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    )
    assert me.json()["email"] == customer.email


async def test_a_passkey_sign_in_from_a_device_the_account_has_not_used_is_told(
    customer: Customer,
) -> None:
    passkey, _ = await customer.add_passkey()
    phone = (await customer.sign_in_with(passkey)).json()["device_id"]
    again = await customer.sign_in_with(passkey, device_id=phone)

    assert again.json()["device_id"] == phone
    told = [e for e in customer.told() if isinstance(e, SignedInFromNewDevice)]
    assert len(told) == 1, "the password's log-in was the account's first device; the phone new"


async def test_adding_and_removing_a_passkey_are_told_to_the_notifier(customer: Customer) -> None:
    _, added = await customer.add_passkey(name="  ")
    passkey_id = added.json()["passkey_id"]
    removed = await customer.client.delete(
        f"/api/v1/me/passkeys/{passkey_id}", headers=customer.bearer
    )

    assert removed.status_code == 204
    notices = [e for e in customer.told() if isinstance(e, (PasskeyAdded, PasskeyRemoved))]
    assert [type(e) for e in notices] == [PasskeyAdded, PasskeyRemoved]
    assert notices[0].name == "パスキー 2026-11-25"  # a blank name gets the date
    assert notices[0].email == customer.email
    listed = await customer.client.get("/api/v1/me/passkeys", headers=customer.bearer)
    assert listed.json() == []


async def test_adding_a_passkey_needs_a_sign_in_of_the_last_ten_minutes(
    customer: Customer,
) -> None:
    customer.clock.advance(seconds=601)  # the access token (15 min) still holds

    ceremony = await customer.client.post("/api/v1/me/passkeys/options", headers=customer.bearer)
    english = await customer.client.post(
        "/api/v1/me/passkeys/options", headers={**customer.bearer, "Accept-Language": "en"}
    )

    assert ceremony.status_code == 403
    assert ceremony.json() == {
        "code": "sign_in_again",
        "message": "安全のため、もう一度ログインしてから操作してください。",
    }
    assert english.json()["message"] == "For your safety, please log in again before doing this."


async def test_removing_a_passkey_needs_a_recent_sign_in_too(customer: Customer) -> None:
    _, added = await customer.add_passkey()
    customer.clock.advance(seconds=601)

    removed = await customer.client.delete(
        f"/api/v1/me/passkeys/{added.json()['passkey_id']}", headers=customer.bearer
    )

    assert removed.status_code == 403
    assert removed.json()["code"] == "sign_in_again"


async def test_an_answer_from_another_origin_is_refused_at_registration_and_at_sign_in(
    customer: Customer,
) -> None:
    _, foreign = await customer.add_passkey(origin="https://phishing.example")
    passkey, _ = await customer.add_passkey()
    signed_in = await customer.sign_in_with(passkey, origin="https://phishing.example")

    assert foreign.status_code == 400
    assert foreign.json()["code"] == "passkey_not_verified"
    assert signed_in.status_code == 401
    assert signed_in.json() == {
        "code": "passkey_refused",
        "message": "パスキーでログインできませんでした。パスワードでログインしてください。",
    }


async def test_a_cloned_passkey_whose_sign_count_goes_back_is_refused(customer: Customer) -> None:
    passkey, _ = await customer.add_passkey()
    assert (await customer.sign_in_with(passkey)).status_code == 200
    assert (await customer.sign_in_with(passkey)).status_code == 200

    passkey.sign_count = 1  # a copy of the key made after its first use
    cloned = await customer.sign_in_with(passkey)
    unchanged = await customer.sign_in_with(passkey, count=False)

    assert cloned.status_code == 401
    assert cloned.json()["code"] == "passkey_refused"
    assert unchanged.status_code == 401


async def test_a_cloned_passkey_is_disabled_shown_so_and_told_once(customer: Customer) -> None:
    """Refusing the copy is not enough: either holder of the key may be the thief, so the
    passkey signs nobody in again, even the original counting up, until it is removed."""
    passkey, _ = await customer.add_passkey(name="仕事用のiPhone")
    assert (await customer.sign_in_with(passkey)).status_code == 200
    assert (await customer.sign_in_with(passkey)).status_code == 200

    passkey.sign_count = 1  # a copy of the key made after its first use
    cloned = await customer.sign_in_with(passkey)
    passkey.sign_count = 10  # the original, counting up as it should
    original = await customer.sign_in_with(passkey)
    listed = await customer.client.get("/api/v1/me/passkeys", headers=customer.bearer)

    assert (cloned.status_code, original.status_code) == (401, 401)
    assert original.json()["code"] == "passkey_refused"
    [shown] = listed.json()
    assert shown["name"] == "仕事用のiPhone" and shown["disabled_at"] is not None
    [notice] = [e for e in customer.told() if isinstance(e, PasskeyDisabled)]
    assert (notice.name, notice.email) == ("仕事用のiPhone", customer.email)
    removed = await customer.client.delete(
        f"/api/v1/me/passkeys/{shown['passkey_id']}", headers=customer.bearer
    )
    assert removed.status_code == 204, "the customer can remove it"


async def test_a_challenge_is_used_once_and_expires(customer: Customer) -> None:
    passkey, _ = await customer.add_passkey()
    ceremony = (await customer.client.post("/api/v1/sessions/passkey/options")).json()
    body = {
        "challenge_id": ceremony["challenge_id"],
        "credential": get(passkey, ceremony["options"], ORIGIN),
    }
    first = await customer.client.post("/api/v1/sessions/passkey", json=body)
    replayed = await customer.client.post("/api/v1/sessions/passkey", json=body)
    late = (await customer.client.post("/api/v1/sessions/passkey/options")).json()
    customer.clock.advance(seconds=301)
    too_late = await customer.client.post(
        "/api/v1/sessions/passkey",
        json={
            "challenge_id": late["challenge_id"],
            "credential": get(passkey, late["options"], ORIGIN),
        },
    )

    assert first.status_code == 200
    assert replayed.status_code == 409
    assert replayed.json()["code"] == "passkey_challenge_expired"
    assert too_late.json()["code"] == "passkey_challenge_expired"


async def test_a_locked_account_is_not_let_in_by_its_passkey(customer: Customer) -> None:
    passkey, _ = await customer.add_passkey()
    for _ in range(5):
        await customer.client.post(
            "/api/v1/sessions", json={"email": customer.email, "password": "wrong horse battery"}
        )
        customer.clock.advance(seconds=60)

    refused = await customer.sign_in_with(passkey)

    assert refused.status_code == 429
    assert refused.json()["code"] == "account_locked"


async def test_an_unknown_passkey_is_refused_and_a_removed_one_is_not_found(
    customer: Customer,
) -> None:
    stranger = SoftPasskey("localhost", b"someone else")
    _, added = await customer.add_passkey()
    customer.ports.passkeys.rows.clear()  # type: ignore[attr-defined]

    unknown = await customer.sign_in_with(stranger)
    gone = await customer.client.delete(
        f"/api/v1/me/passkeys/{added.json()['passkey_id']}", headers=customer.bearer
    )

    assert unknown.status_code == 401
    assert gone.status_code == 404


async def test_a_credential_that_is_not_webauthn_json_is_refused_before_it_is_read(
    customer: Customer,
) -> None:
    ceremony = (await customer.client.post("/api/v1/sessions/passkey/options")).json()
    refused = await customer.client.post(
        "/api/v1/sessions/passkey",
        json={"challenge_id": ceremony["challenge_id"], "credential": {"id": "a b", "type": "x"}},
    )

    assert refused.status_code == 422


def test_production_refuses_the_development_relying_party(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    real: dict[str, Any] = {
        "key_encryption_key": "a-real-key-encryption-key",
        "notifier_sealing_public_key": "a-real-public-key",
        "database_url": "postgresql://identity:a-real-password@db/identity",
        "kafka_security_protocol": "SASL_SSL",
        "kafka_username": "identity",
        "kafka_password": "a-real-kafka-password",
    }
    with pytest.raises(ValidationError, match="relying-party id"):
        IdentitySettings(**real)
    insurer = {**real, "webauthn_rp_id": "insurer.example.jp"}
    monkeypatch.setenv(
        "IDENTITY_WEBAUTHN_ORIGINS", "https://insurer.example.jp, http://app.example"
    )
    with pytest.raises(ValidationError, match="https"):
        IdentitySettings(**insurer)
    monkeypatch.setenv("IDENTITY_WEBAUTHN_ORIGINS", "https://insurer.example.jp, https://m.example")
    settings = IdentitySettings(**insurer)
    assert settings.webauthn_origins == ("https://insurer.example.jp", "https://m.example")
