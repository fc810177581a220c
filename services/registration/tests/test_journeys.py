"""Both journeys of the customer guide and every refusal, through HTTP, the real broker and the
real database; what leaves on registration.events is checked too."""

import base64
import json
from datetime import date

from nacl.public import PrivateKey, SealedBox

from claims_shared.passwords import verify_password
from claims_shared.settings import DEVELOPMENT_SEALING_PRIVATE_KEY
from devinfra.testing import find_envelopes
from registration_harness import RegistrationService


async def test_simple_registration_sets_email_and_password_and_emits_user_registered(
    registration: RegistrationService,
) -> None:
    policy = await registration.record_policy(code="483921")
    typed_number = "－".join([policy.policy_number[:4], policy.policy_number[4:]])  # as typed
    started = await registration.start(typed_number, "４８３９２１")
    assert started.status_code == 201, started.json()
    body = started.json()
    assert set(body) == {"registration_id", "registration_token", "expires_at"}
    created = await registration.set_account(body, "Taro.Yamada@Example.jp", "山田太郎の合言葉2026")
    assert created.status_code == 201, created.json()
    user_id = created.json()["user_id"]

    emitted = await find_envelopes(
        registration.bootstrap,
        registration.topic("registration.events"),
        lambda e: e["event_type"] == "UserRegistered" and e["data"]["user_id"] == user_id,
    )
    data = emitted[0]["data"]
    assert (data["email"], data["customer_id"], data["policy_numbers"]) == (
        "taro.yamada@example.jp",
        policy.customer_id,
        [policy.policy_number],
    )
    assert data["must_change_password"] is False
    assert data["registration_method"] == "procedure_code"
    assert verify_password(data["password_hash"], "山田太郎の合言葉2026")

    again = await registration.start(policy.policy_number, "483921")
    assert (again.status_code, again.json()["code"]) == (409, "already_registered")


async def test_simple_registration_refusals(registration: RegistrationService) -> None:
    group = await registration.record_policy(contract_type="group")
    masked = await registration.record_policy(code=None, state="masked")
    used = await registration.record_policy(state="used")
    expired = await registration.record_policy(expires_on=date(2026, 1, 31))
    cases = {
        "group": (group.policy_number, "483921"),
        "masked": (masked.policy_number, "*****"),
        "used": (used.policy_number, "483921"),
        "expired": (expired.policy_number, "483921"),
        "unknown": ("Z999999999", "483921"),
    }
    answers = {}
    for name, (number, code) in cases.items():
        response = await registration.start(number, code)
        answers[name] = (response.status_code, response.json()["code"])
    assert answers == {
        "group": (403, "contract_not_eligible"),
        "masked": (410, "procedure_code_unavailable"),
        "used": (410, "procedure_code_unavailable"),
        "expired": (410, "procedure_code_unavailable"),
        "unknown": (401, "verification_failed"),
    }
    english = await registration.client.post(
        "/api/v1/registrations/procedure-code",
        headers={"Accept-Language": "en"},
        json={"policy_number": masked.policy_number, "procedure_code": "*****"},
    )
    assert "New registration" in english.json()["message"]
    japanese = await registration.start(group.policy_number, "483921")
    assert "団体契約" in japanese.json()["message"]


async def test_wrong_codes_are_throttled_per_policy_number(
    registration: RegistrationService,
) -> None:
    policy = await registration.record_policy(code="483921")
    statuses = [
        (await registration.start(policy.policy_number, "000000")).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    blocked = await registration.start(policy.policy_number, "483921")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
    registration.clock.advance(minutes=1)
    assert (await registration.start(policy.policy_number, "483921")).status_code == 201


async def test_account_step_refuses_bad_tokens_weak_passwords_and_taken_emails(
    registration: RegistrationService,
) -> None:
    first = await registration.record_policy()
    second = await registration.record_policy()
    one = (await registration.start(first.policy_number, "483921")).json()
    two = (await registration.start(second.policy_number, "483921")).json()

    forged = {**one, "registration_token": "x" * 43}
    assert (
        await registration.set_account(forged, "a@example.jp", "a good long phrase")
    ).status_code == 401
    weak = await registration.set_account(one, "a@example.jp", "password")
    assert (weak.status_code, weak.json()["code"]) == (422, "password_too_common")
    assert (
        await registration.set_account(one, "hanako@example.jp", "a good long phrase")
    ).status_code == 201
    taken = await registration.set_account(two, "ＨＡＮＡＫＯ＠example.jp", "another good phrase")
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    reused = await registration.set_account(one, "other@example.jp", "a good long phrase")
    assert reused.status_code == 401

    registration.clock.advance(minutes=16)
    late = await registration.set_account(two, "late@example.jp", "another good phrase")
    assert (late.status_code, late.json()["code"]) == (401, "invalid_registration_token")


async def test_new_registration_always_answers_the_same_and_seals_the_temporary_password(
    registration: RegistrationService,
) -> None:
    policy = await registration.record_policy(full_name="山田 太郎", born=date(1980, 5, 17))
    match = await registration.details(
        full_name="山田　太郎",
        date_of_birth="昭和55年5月17日",
        policy_number=policy.policy_number,
        email="taro@example.jp",
    )
    mismatch = await registration.details(
        full_name="山田 次郎",
        date_of_birth="1980-05-17",
        policy_number=policy.policy_number,
        email="jiro@example.jp",
    )
    unknown = await registration.details(
        full_name="誰 か", date_of_birth="1990/1/1", policy_number="Z1", email="who@example.jp"
    )
    assert match.status_code == mismatch.status_code == unknown.status_code == 202
    assert match.json() == mismatch.json() == unknown.json()

    topic = registration.topic("registration.events")
    registered = await find_envelopes(
        registration.bootstrap, topic, lambda e: e["event_type"] == "UserRegistered"
    )
    rejected = await find_envelopes(
        registration.bootstrap,
        topic,
        lambda e: e["event_type"] == "RegistrationRejected",
        expected=2,
    )
    data = registered[0]["data"]
    assert data["must_change_password"] is True and data["registration_method"] == "details"
    assert data["temporary_password_expires_at"] == "2026-11-26T10:00:00Z"
    sealed = base64.b64decode(data["sealed_temporary_password"])
    temporary = (
        SealedBox(PrivateKey(base64.b64decode(DEVELOPMENT_SEALING_PRIVATE_KEY)))
        .decrypt(sealed)
        .decode()
    )
    assert verify_password(data["password_hash"], temporary)
    everything = json.dumps(registered + rejected, ensure_ascii=False)
    assert temporary not in everything
    assert sorted(r["data"]["reason"] for r in rejected) == [
        "details_mismatch",
        "no_matching_policy",
    ]
    assert "山田" not in json.dumps(rejected, ensure_ascii=False)
    assert "jiro@example.jp" not in json.dumps(rejected)


async def test_new_registration_refuses_what_is_not_a_date_or_an_email(
    registration: RegistrationService,
) -> None:
    response = await registration.details(
        full_name="山田 太郎", date_of_birth="昨日", policy_number="A1", email="taro"
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"date_of_birth", "email"}


async def test_an_address_that_is_not_one_mailbox_is_refused_on_both_journeys(
    registration: RegistrationService,
) -> None:
    """A comma used to be taken, and the temporary-password mail then went to two people."""
    simple = await registration.record_policy()
    details = await registration.record_policy(full_name="山田 太郎", born=date(1980, 5, 17))
    started = (await registration.start(simple.policy_number, "483921")).json()
    for typed in (
        "taro@example.jp,jiro@example.jp",
        "taro@example.jp, jiro@example.jp",
        "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ，ｊｉｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
        "山田 太郎 <taro@example.jp>",
        "taro\x00@example.jp",
    ):
        answers = [
            await registration.set_account(started, typed, "山田家の 新しい 合言葉"),
            await registration.details(
                full_name="山田 太郎",
                date_of_birth="1980-05-17",
                policy_number=details.policy_number,
                email=typed,
            ),
        ]
        for answer in answers:
            assert answer.status_code == 422, (typed, answer.json())
            [field] = answer.json()["errors"]
            assert field["field"] == "email"
            # NUL is refused at the door for every field (claims_shared.unsafe_input)
            refusals = ("email_not_one_address", "email_invalid", "invalid_characters")
            assert field["code"] in refusals

    kept = await registration.set_account(started, "Taro@example.jp", "山田家の 新しい 合言葉")
    assert kept.status_code == 201  # the refusals spent neither the token nor the policy
    registered = await find_envelopes(
        registration.bootstrap,
        registration.topic("registration.events"),
        lambda e: e["event_type"] == "UserRegistered",
    )
    assert [e["data"]["email"] for e in registered] == ["taro@example.jp"]
