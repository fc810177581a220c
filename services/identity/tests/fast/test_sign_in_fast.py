"""Log-in, throttling, lock-out and sessions as a customer meets them, with identity's ports in
memory (identity_fakes): the HTTP answers are the real ones, no server runs."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from claims_shared import passwords
from claims_shared.events import AccountLocked
from claims_shared.passwords import HASHER
from claims_shared.testing import leaving
from devinfra.testing import ManualClock, in_process
from identity.integration import translate
from identity.main import IdentityPorts, build
from identity.settings import IdentitySettings
from identity_fakes import in_memory_ports, opening
from identity_harness import PASSWORD, a_customer

WRONG = "wrong horse battery"


@dataclass
class Identity:
    client: httpx.AsyncClient
    clock: ManualClock
    ports: IdentityPorts

    def register(self, **overrides: Any) -> str:
        """An account as identity's consumer creates it from a UserRegistered; its email."""
        fields: dict[str, Any] = {
            **a_customer(),
            "temporary_password_expires_at": None,
            "language": "ja",
            "roles": [],
            **overrides,
        }
        assert self.ports.accounts.register(**fields)
        return str(fields["email"])

    async def log_in(self, email: str, password: str, **headers: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/sessions", json={"email": email, "password": password}, headers=headers
        )

    async def fail_to_log_in(
        self, email: str, times: int, wait_seconds: int = 0, password: str = WRONG
    ) -> None:
        """`times` log-ins with a wrong password, each refused as one (401), the clock moving
        `wait_seconds` after each."""
        for _ in range(times):
            assert (await self.log_in(email, password)).status_code == 401
            self.clock.advance(seconds=wait_seconds)

    async def locked_out(self) -> str:
        """A new account locked by five wrong passwords, a minute apart (past each throttle
        delay: only the lock refuses); its email."""
        email = self.register()
        await self.fail_to_log_in(email, times=5, wait_seconds=60)
        return email


@pytest.fixture
async def identity() -> AsyncIterator[Identity]:
    clock = ManualClock()
    settings = IdentitySettings(
        throttle_after_failures=3,
        lock_after_failures=5,
        lock_minutes=30,
        throttle_first_delay_seconds=2,
        password_reset_answer_seconds=0.01,
    )
    ports = in_memory_ports(settings)
    async with in_process(build(settings, clock, opening(ports)), "http://identity") as client:
        yield Identity(client, clock, ports)


async def test_a_customer_logs_in_with_their_password(identity: Identity) -> None:
    email = identity.register()

    response = await identity.log_in(email, PASSWORD)

    assert response.status_code == 200
    session = response.json()
    assert session["token_type"] == "Bearer"
    assert session["expires_in"] == 900
    assert session["refresh_token"]
    assert session["password_change_required"] is False


async def test_a_wrong_password_is_refused_in_japanese_and_english(identity: Identity) -> None:
    email = identity.register()

    japanese = await identity.log_in(email, WRONG)
    english = await identity.log_in(email, WRONG, **{"Accept-Language": "en"})

    assert japanese.status_code == 401
    assert japanese.json() == {
        "code": "invalid_credentials",
        "message": "メールアドレスまたはパスワードが正しくありません。",
    }
    assert english.json()["message"] == "The email address or password is incorrect."


async def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(
    identity: Identity,
) -> None:
    email = identity.register()

    wrong = await identity.log_in(email, WRONG)
    unknown = await identity.log_in("nobody@example.jp", PASSWORD)

    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())


async def test_failures_past_the_throttle_make_the_customer_wait_twice_as_long_each_time(
    identity: Identity,
) -> None:
    email = identity.register()
    await identity.fail_to_log_in(email, times=3)

    first_wait = await identity.log_in(email, PASSWORD)
    identity.clock.advance(seconds=2)
    assert (await identity.log_in(email, WRONG)).status_code == 401
    second_wait = await identity.log_in(email, PASSWORD)

    assert first_wait.status_code == 429
    assert first_wait.json()["code"] == "too_many_attempts"
    assert first_wait.headers["Retry-After"] == "2"
    assert second_wait.headers["Retry-After"] == "4"


async def test_the_lock_out_refuses_even_the_right_password_for_its_whole_length(
    identity: Identity,
) -> None:
    email = await identity.locked_out()
    identity.clock.advance(seconds=-60)

    locked = await identity.log_in(email, PASSWORD)
    identity.clock.advance(minutes=29)
    still_locked = await identity.log_in(email, PASSWORD)

    assert locked.status_code == 429
    assert locked.json() == {
        "code": "account_locked",
        "message": "ログインの失敗が続いたため、安全のためこのアカウントへのログインを一時停止"
        "しています。停止中は、正しいパスワードでもログインできません。",
    }
    assert locked.headers["Retry-After"] == str(30 * 60)
    assert still_locked.headers["Retry-After"] == "60"
    assert still_locked.json()["code"] == "account_locked", "its last minute is still the lock"


async def test_the_right_password_works_again_once_the_lock_has_run_out(
    identity: Identity,
) -> None:
    email = await identity.locked_out()
    identity.clock.advance(minutes=30)

    assert (await identity.log_in(email, PASSWORD)).status_code == 200


async def test_a_successful_log_in_forgets_the_failures_before_it(identity: Identity) -> None:
    """The log-in that clears failures is saved (one with nothing to clear saves nothing):
    two wrong passwords before it and two after stay under the throttle of three."""
    email = identity.register()
    await identity.fail_to_log_in(email, times=2)
    assert (await identity.log_in(email, PASSWORD)).status_code == 200

    await identity.fail_to_log_in(email, times=2)
    again = await identity.log_in(email, PASSWORD)

    assert again.status_code == 200, again.json()


async def test_a_lock_out_is_told_to_the_customer_by_an_account_locked_event(
    identity: Identity,
) -> None:
    email = await identity.locked_out()

    told = leaving(identity.ports.accounts, translate(identity.ports.accounts))

    assert [type(data) for data in told] == [AccountLocked]
    assert isinstance(told[0], AccountLocked)
    assert told[0].email == email
    assert told[0].failed_attempts == 5


async def test_unknown_emails_are_throttled_like_accounts(identity: Identity) -> None:
    """A 429 must not tell an attacker which addresses have accounts."""
    await identity.fail_to_log_in("guess@example.jp", times=3, password="a guessed password")

    throttled = await identity.log_in("guess@example.jp", "a guessed password")

    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"


async def test_a_temporary_password_only_lets_the_customer_change_it(identity: Identity) -> None:
    email = identity.register(
        must_change_password=True,
        temporary_password_expires_at=identity.clock.now.replace(year=2027),
    )

    session = (await identity.log_in(email, PASSWORD)).json()

    assert session["password_change_required"] is True
    assert session["refresh_token"] is None


async def test_an_expired_temporary_password_is_refused_with_its_own_reason(
    identity: Identity,
) -> None:
    email = identity.register(
        must_change_password=True, temporary_password_expires_at=identity.clock.now
    )
    identity.clock.advance(seconds=1)

    response = await identity.log_in(email, PASSWORD, **{"Accept-Language": "en"})

    assert response.status_code == 401
    assert response.json()["code"] == "temporary_password_expired"
    assert "temporary password has expired" in response.json()["message"]


async def test_a_refresh_token_used_twice_ends_the_whole_session(identity: Identity) -> None:
    email = identity.register()
    first = (await identity.log_in(email, PASSWORD)).json()["refresh_token"]

    rotated = await identity.client.post("/api/v1/sessions/refresh", json={"refresh_token": first})
    replayed = await identity.client.post("/api/v1/sessions/refresh", json={"refresh_token": first})
    after = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
    )

    assert rotated.status_code == 200
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "invalid_refresh_token"
    assert after.status_code == 401


async def test_changing_the_password_ends_the_other_sessions(identity: Identity) -> None:
    email = identity.register()
    other_device = (await identity.log_in(email, PASSWORD)).json()["refresh_token"]
    session = (await identity.log_in(email, PASSWORD)).json()

    changed = await identity.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "山田家の新しい合言葉2026"},
        headers={"Authorization": f"Bearer {session['access_token']}"},
    )
    refreshed = await identity.client.post(
        "/api/v1/sessions/refresh", json={"refresh_token": other_device}
    )

    assert changed.status_code == 204
    assert refreshed.status_code == 401
    assert (await identity.log_in(email, "山田家の新しい合言葉2026")).status_code == 200


async def test_a_session_ended_elsewhere_can_no_longer_change_the_password(
    identity: Identity,
) -> None:
    """The other device's access token is still valid, but its session is not (live_session)."""
    email = identity.register()
    other_device = (await identity.log_in(email, PASSWORD)).json()["access_token"]
    session = (await identity.log_in(email, PASSWORD)).json()["access_token"]
    await identity.client.delete(
        "/api/v1/me/sessions", headers={"Authorization": f"Bearer {session}"}
    )

    changed = await identity.client.put(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "山田家の新しい合言葉2026"},
        headers={"Authorization": f"Bearer {other_device}", "Accept-Language": "en"},
    )

    assert (changed.status_code, changed.json()["code"]) == (401, "session_ended")
    assert changed.json()["message"].startswith("This session has ended")
    assert (await identity.log_in(email, PASSWORD)).status_code == 200, "password unchanged"


async def test_every_log_in_hash_runs_on_the_hashing_threads(
    identity: Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A right password, a wrong one and an unknown address: each hash on identity.main's
    hashing threads (one a core, taking the next hash as soon as the last ends), the same queue
    for all three, so an unknown address waits and costs as an account does."""
    threads: list[str] = []

    class Recording:
        def hash(self, password: str) -> str:
            return HASHER.hash(password)

        def verify(self, password_hash: str, password: str) -> bool:
            threads.append(threading.current_thread().name)
            return HASHER.verify(password_hash, password)

    monkeypatch.setattr(passwords, "HASHER", Recording())
    email = identity.register()

    assert (await identity.log_in(email, PASSWORD)).status_code == 200
    assert (await identity.log_in(email, WRONG)).status_code == 401
    assert (await identity.log_in("nobody@example.jp", WRONG)).status_code == 401

    assert len(threads) == 5  # one, two (the password and a reset's), two (the same for nobody)
    assert all(name.startswith("log-in-hash") for name in threads), threads
