"""Password reset (パスワード再発行) as an attacker who knows only a customer's email would try
it: asking for a reset must not keep the customer out, and its answer must not take longer or
shorter for an address with an account."""

import asyncio
import base64
import random
import statistics
import time
import uuid

import httpx
import pytest
from nacl.public import PrivateKey, SealedBox

from claims_shared.events import UserRegistered
from claims_shared.passwords import hash_password
from claims_shared.settings import DEVELOPMENT_SEALING_PRIVATE_KEY
from devinfra.testing import eventually, find_envelopes
from identity_harness import PASSWORD, Identity


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def request_reset(identity: Identity, email: str) -> httpx.Response:
    return await identity.client.post("/api/v1/password-resets", json={"email": email})


async def mailed_temporary_password(identity: Identity, user_id: uuid.UUID, nth: int = 1) -> str:
    """The nth temporary password issued to the account, opened as the notifier would."""
    issued = await find_envelopes(
        identity.bootstrap,
        identity.topic("identity.events"),
        lambda e: (
            e["event_type"] == "TemporaryPasswordIssued" and e["data"]["user_id"] == str(user_id)
        ),
        expected=nth,
    )
    sealed = base64.b64decode(issued[nth - 1]["data"]["sealed_temporary_password"])
    notifier_key = PrivateKey(base64.b64decode(DEVELOPMENT_SEALING_PRIVATE_KEY))
    return SealedBox(notifier_key).decrypt(sealed).decode()


@pytest.fixture
async def customer(identity: Identity) -> UserRegistered:
    """A customer whose password is PASSWORD."""
    return await identity.register(password=PASSWORD)


async def reset(identity: Identity, customer: UserRegistered, nth: int = 1) -> str:
    """Ask for a reset of the customer's password, accepted; the temporary password it mailed
    (the customer's `nth`)."""
    assert (await request_reset(identity, customer.email)).status_code == 202
    return await mailed_temporary_password(identity, customer.user_id, nth)


async def test_a_reset_request_leaves_the_current_password_working_until_the_temporary_is_used(
    identity: Identity, customer: UserRegistered
) -> None:
    assert (await request_reset(identity, customer.email)).status_code == 202

    current = await identity.log_in(customer.email, PASSWORD)
    assert current.status_code == 200, current.json()
    assert current.json()["password_change_required"] is False
    earlier_session = current.json()["refresh_token"]

    temporary = await mailed_temporary_password(identity, customer.user_id)
    assert (await identity.log_in(customer.email, PASSWORD)).status_code == 200  # still kept
    limited = await identity.log_in(customer.email, temporary)
    assert limited.status_code == 200 and limited.json()["password_change_required"] is True
    old = await identity.log_in(customer.email, PASSWORD)
    assert (old.status_code, old.json()["code"]) == (401, "invalid_credentials")

    changed = await identity.client.put(
        "/api/v1/me/password",
        headers=bearer(limited.json()["access_token"]),
        json={"current_password": temporary, "new_password": "山田家の 新しい 合言葉"},
    )
    assert changed.status_code == 204
    assert (await identity.log_in(customer.email, temporary)).status_code == 401
    full = await identity.log_in(customer.email, "山田家の 新しい 合言葉")
    assert full.status_code == 200 and full.json()["password_change_required"] is False
    ended = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": earlier_session}
    )
    assert ended.status_code == 401  # the completed reset ended the other sessions


async def test_an_expired_reset_is_refused_and_the_current_password_still_works(
    identity: Identity, customer: UserRegistered
) -> None:
    temporary = await reset(identity, customer)
    identity.clock.advance(hours=25)
    expired = await identity.log_in(customer.email, temporary)
    assert (expired.status_code, expired.json()["code"]) == (401, "temporary_password_expired")
    assert (await identity.log_in(customer.email, PASSWORD)).status_code == 200


async def test_a_newer_reset_replaces_the_pending_one_and_a_password_change_withdraws_it(
    identity: Identity, customer: UserRegistered
) -> None:
    first = await reset(identity, customer)
    identity.clock.advance(minutes=2)
    second = await reset(identity, customer, nth=2)
    assert (await identity.log_in(customer.email, first)).status_code == 401

    session = (await identity.log_in(customer.email, PASSWORD)).json()
    changed = await identity.client.put(
        "/api/v1/me/password",
        headers=bearer(session["access_token"]),
        json={"current_password": PASSWORD, "new_password": "思い出した 新しい 合言葉"},
    )
    assert changed.status_code == 204
    withdrawn = await identity.log_in(customer.email, second)
    assert (withdrawn.status_code, withdrawn.json()["code"]) == (401, "invalid_credentials")


async def register_staff(identity: Identity) -> str:
    email = f"adjuster.{uuid.uuid4().hex[:8]}@insurer.example.jp"
    await asyncio.to_thread(
        identity.app.state.sign_in.accounts.register,
        user_id=uuid.uuid4(),
        email=email,
        customer_id=None,
        policy_numbers=[],
        password_hash=hash_password("Sapporo-Branch-2026"),
        must_change_password=False,
        temporary_password_expires_at=None,
        language="ja",
        roles=["adjuster"],
    )
    await eventually(lambda: identity.account_known(email))
    return email


async def test_every_reset_request_takes_the_same_time_whatever_the_account(
    identity: Identity, customer: UserRegistered
) -> None:
    """Medians of the same run: an unknown address, a customer (a temporary password issued), a
    staff member (never reset) and the same customer again a moment later (too soon)."""
    staff = await register_staff(identity)
    interval = identity.settings.password_reset_min_interval_seconds
    times: dict[str, list[float]] = {"unknown": [], "customer": [], "staff": [], "just_reset": []}
    answers = set()

    async def timed(state: str, email: str) -> None:
        started = time.perf_counter()
        response = await request_reset(identity, email)
        times[state].append(time.perf_counter() - started)
        answers.add((response.status_code, response.text))

    for _ in range(15):
        identity.clock.advance(seconds=interval + 1)
        others = [("unknown", f"ghost.{uuid.uuid4().hex[:8]}@example.jp"), ("staff", staff)]
        random.shuffle(others)
        position = random.randint(0, len(others))
        order = [*others[:position], ("customer", customer.email), *others[position:]]
        for state, email in order:
            await timed(state, email)
            if state == "customer":
                await timed("just_reset", customer.email)

    assert len(answers) == 1 and next(iter(answers))[0] == 202
    await mailed_temporary_password(identity, customer.user_id, nth=15)  # each round issued one
    medians = {state: statistics.median(spent) for state, spent in times.items()}
    assert all(0.67 <= m / medians["unknown"] <= 1.5 for m in medians.values()), medians
    assert min(medians.values()) >= identity.settings.password_reset_answer_seconds, medians


async def test_a_failed_log_in_takes_the_same_time_whatever_the_account_or_its_reset(
    identity: Identity,
) -> None:
    """A pending reset adds a second hash check to a wrong password, so every failed log-in pays
    two (a throw-away hash without a reset, two for an unknown address): an attacker who asked for
    a reset cannot tell from a wrong password's answer whether the address has an account."""
    plain = await identity.register(password=PASSWORD)
    reset = await identity.register(password=PASSWORD)
    await request_reset(identity, reset.email)
    times: dict[str, list[float]] = {"unknown": [], "account": [], "reset_pending": []}

    async def timed(state: str, email: str) -> None:
        # The process's CPU time (every thread: the hashes run in the thread pool), not the
        # wall clock: equal work is equal time to an attacker on a quiet server, and a busy
        # test machine stretches wall time by what else runs (a CI run saw 1.6x from noise).
        started = time.process_time()
        response = await identity.log_in(email, "not the password at all")
        times[state].append(time.process_time() - started)
        assert (response.status_code, response.json()["code"]) == (401, "invalid_credentials")

    for _ in range(15):
        order = [
            ("unknown", f"ghost.{uuid.uuid4().hex[:8]}@example.jp"),
            ("account", plain.email),
            ("reset_pending", reset.email),
        ]
        random.shuffle(order)
        for state, email in order:
            await timed(state, email)
        for customer in (plain, reset):  # clears the failure, so no throttle builds up
            assert (await identity.log_in(customer.email, PASSWORD)).status_code == 200

    medians = {state: statistics.median(spent) for state, spent in times.items()}
    assert all(0.75 <= m / medians["unknown"] <= 1.33 for m in medians.values()), medians
