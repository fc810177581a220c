"""Both registration journeys as a customer meets them (the guide's refusals, the throttle on
guessed procedure codes), with registration's ports in memory (registration_fakes)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from claims_shared.events import EventData, RegistrationRejected, UserRegistered
from claims_shared.passwords import hash_password
from claims_shared.testing import leaving
from devinfra.testing import ManualClock, in_process
from registration.domain import Policy
from registration.integration import translate
from registration.main import RegistrationPorts, build
from registration.settings import RegistrationSettings
from registration_fakes import InMemoryPolicyBook, in_memory_ports, opening

CODE = "483921"
PASSWORD = "山田家の合言葉2026"


@dataclass
class Registration:
    client: httpx.AsyncClient
    clock: ManualClock
    ports: RegistrationPorts

    def policy(self, **overrides: Any) -> str:
        """An individual policy with a usable procedure code on its postcard; its number."""
        fields: dict[str, Any] = dict(
            policy_number=f"A-2026-{uuid.uuid4().int % 10**6:06d}",
            contract_type="individual",
            customer_id=f"C{uuid.uuid4().hex[:8]}",
            full_name="山田 太郎",
            full_name_kana="ヤマダ タロウ",
            date_of_birth=date(1980, 5, 17),
            code_state="issued",
            code_hash=hash_password(CODE),
            code_expires_on=None,
        )
        fields.update(overrides)
        book = self.ports.policies
        assert isinstance(book, InMemoryPolicyBook)
        book.record(Policy(**fields))
        return str(fields["policy_number"])

    async def start(self, number: str, code: str = CODE, **headers: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/registrations/procedure-code",
            json={"policy_number": number, "procedure_code": code},
            headers=headers,
        )

    async def set_account(self, started: httpx.Response, email: str) -> httpx.Response:
        body = started.json()
        return await self.client.post(
            f"/api/v1/registrations/{body['registration_id']}/account",
            json={"email": email, "password": PASSWORD},
            headers={"Authorization": f"Bearer {body['registration_token']}"},
        )

    def told(self) -> list[EventData]:
        return leaving(self.ports.registrations, translate)


@pytest.fixture
async def registration() -> AsyncIterator[Registration]:
    clock = ManualClock()
    settings = RegistrationSettings(code_throttle_after_failures=3, code_lock_after_failures=5)
    ports = in_memory_ports()
    app = build(settings, clock, opening(ports))
    async with in_process(app, "http://registration") as client:
        yield Registration(client, clock, ports)


async def test_simple_registration_creates_the_customers_account(
    registration: Registration,
) -> None:
    number = registration.policy()

    started = await registration.start(number)
    created = await registration.set_account(started, "taro@example.jp")

    assert started.status_code == 201
    assert created.status_code == 201
    [registered] = registration.told()
    assert isinstance(registered, UserRegistered)
    assert registered.email == "taro@example.jp"
    assert registered.user_id == uuid.UUID(created.json()["user_id"])
    assert registered.must_change_password is False


async def test_the_policy_number_may_be_typed_in_full_width(registration: Registration) -> None:
    registration.policy(policy_number="A-2026-000001")

    started = await registration.start("Ａ－２０２６－０００００１", "４８３９２１")

    assert started.status_code == 201


async def test_a_wrong_procedure_code_is_refused_with_the_guides_words(
    registration: Registration,
) -> None:
    number = registration.policy()

    japanese = await registration.start(number, "000000")
    english = await registration.start(number, "000000", **{"Accept-Language": "en"})

    assert japanese.status_code == 401
    assert japanese.json() == {
        "code": "verification_failed",
        "message": "証券番号または手続コードが正しくありません。"
        "ご確認のうえ、もう一度入力してください。",
    }
    assert english.json()["message"] == (
        "The policy number or procedure code is incorrect. Please check them and try again."
    )


async def test_an_unknown_policy_number_gets_the_same_answer_as_a_wrong_code(
    registration: Registration,
) -> None:
    number = registration.policy()

    wrong_code = await registration.start(number, "000000")
    unknown = await registration.start("Z-9999-999999", CODE)

    assert (unknown.status_code, unknown.json()) == (wrong_code.status_code, wrong_code.json())


async def test_a_group_contract_is_told_it_cannot_use_the_service(
    registration: Registration,
) -> None:
    number = registration.policy(contract_type="group")

    response = await registration.start(number)

    assert response.status_code == 403
    assert response.json()["code"] == "contract_not_eligible"
    assert "団体契約" in response.json()["message"]


@pytest.mark.parametrize(
    "code_state, expires_on",
    [("masked", None), ("used", None), ("issued", date(2026, 11, 24))],
)
async def test_an_unusable_procedure_code_points_to_new_registration(
    registration: Registration, code_state: str, expires_on: date | None
) -> None:
    number = registration.policy(code_state=code_state, code_expires_on=expires_on)

    response = await registration.start(number, **{"Accept-Language": "en"})

    assert response.status_code == 410
    assert response.json()["code"] == "procedure_code_unavailable"
    assert "'New registration'" in response.json()["message"]


async def test_guessing_codes_throttles_then_locks_the_policy_number(
    registration: Registration,
) -> None:
    number = registration.policy()
    for _ in range(3):
        assert (await registration.start(number, "000000")).status_code == 401
    throttled = await registration.start(number)
    for _ in range(2):
        registration.clock.advance(seconds=60)
        assert (await registration.start(number, "000000")).status_code == 401

    locked = await registration.start(number)

    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert locked.headers["Retry-After"] == str(30 * 60)


async def test_the_right_code_clears_the_count_of_wrong_ones(registration: Registration) -> None:
    number = registration.policy()
    for _ in range(2):
        await registration.start(number, "000000")
    assert (await registration.start(number)).status_code == 201

    for _ in range(2):
        await registration.start(number, "000000")

    assert (await registration.start(number)).status_code == 201


async def test_a_registered_policy_is_told_to_log_in_instead(registration: Registration) -> None:
    number = registration.policy()
    await registration.set_account(await registration.start(number), "taro@example.jp")

    again = await registration.start(number)

    assert again.status_code == 409
    assert again.json()["code"] == "already_registered"


async def test_an_email_already_in_use_is_refused_at_the_second_step(
    registration: Registration,
) -> None:
    first, second = registration.policy(), registration.policy()
    await registration.set_account(await registration.start(first), "taro@example.jp")

    taken = await registration.set_account(await registration.start(second), "taro@example.jp")

    assert taken.status_code == 409
    assert taken.json()["code"] == "email_taken"


async def test_a_registration_token_runs_out(registration: Registration) -> None:
    started = await registration.start(registration.policy())
    registration.clock.advance(minutes=16)

    late = await registration.set_account(started, "taro@example.jp")

    assert late.status_code == 401
    assert late.json()["code"] == "invalid_registration_token"


async def details(registration: Registration, number: str, full_name: str) -> httpx.Response:
    return await registration.client.post(
        "/api/v1/registrations/details",
        json={
            "full_name": full_name,
            "date_of_birth": "昭和55年5月17日",
            "policy_number": number,
            "email": "misaki@example.jp",
        },
    )


async def test_new_registration_with_matching_details_mails_a_temporary_password(
    registration: Registration,
) -> None:
    number = registration.policy()

    response = await details(registration, number, "山田　太郎")

    assert response.status_code == 202
    [registered] = registration.told()
    assert isinstance(registered, UserRegistered)
    assert registered.must_change_password is True
    assert registered.sealed_temporary_password
    assert registered.temporary_password_expires_at == registration.clock.now.replace(
        day=registration.clock.now.day + 1
    )


async def test_new_registration_with_other_details_answers_alike_and_registers_nobody(
    registration: Registration,
) -> None:
    number = registration.policy()

    matching_answer = (await details(registration, registration.policy(), "山田 太郎")).json()
    response = await details(registration, number, "田中 美咲")

    assert response.json() == matching_answer
    rejected = registration.told()[-1]
    assert isinstance(rejected, RegistrationRejected)
    assert rejected.reason == "details_mismatch"
