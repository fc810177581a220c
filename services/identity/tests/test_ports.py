"""The in-memory stand-ins the fast tier uses (claims_shared.testing, identity_fakes) behave as
the PostgreSQL adapters do where the fast tests rely on them: each check runs against both."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from claims_shared.testing import InMemoryFailureLog
from claims_shared.throttle import FailureRecord, FailureRecords, LockoutPolicy
from devinfra.testing import ManualClock
from identity.application import InvalidCredentials, prepare_temporary_password
from identity.devices import Device
from identity.sessions import RefreshTokenInvalid
from identity.sign_in import RefreshTokenStore
from identity_fakes import InMemoryRefreshTokens
from identity_harness import Identity

POLICY = LockoutPolicy(throttle_after=2, lock_after=3)
PHONE = Device("Chrome", "Android")


async def failure_records_count_per_subject(failures: FailureRecords, clock: ManualClock) -> None:
    taro, hanako = f"log-in:{uuid.uuid4()}", f"log-in:{uuid.uuid4()}"
    assert await failures.load(taro) == FailureRecord()
    for _ in range(3):
        record = await failures.load(taro)
        await failures.save(taro, record.after_failure(clock(), POLICY))
        clock.advance(seconds=1)

    counted = await failures.load(taro)
    assert counted.failures == 3
    assert counted.locked_until == clock() - timedelta(seconds=1) + POLICY.lock_for
    assert await failures.load(hanako) == FailureRecord()
    await failures.clear(taro)
    assert await failures.load(taro) == FailureRecord()


async def refresh_tokens_rotate_and_catch_reuse(
    tokens: RefreshTokenStore, clock: ManualClock
) -> None:
    user, family = uuid.uuid4(), uuid.uuid4()
    signed_in_at = clock()
    first = await tokens.start(user, family, PHONE, clock())
    clock.advance(minutes=20)
    rotated = await tokens.rotate(first, clock())
    assert (rotated.user_id, rotated.family_id) == (user, family)
    assert rotated.signed_in_at == signed_in_at  # auth_time is the log-in's, not the refresh's

    with pytest.raises(RefreshTokenInvalid):
        await tokens.rotate(first, clock())  # reused: the family is revoked
    with pytest.raises(RefreshTokenInvalid):
        await tokens.rotate(rotated.refresh_token, clock())

    other = await tokens.start(user, uuid.uuid4(), PHONE, clock())
    clock.advance(days=31)
    with pytest.raises(RefreshTokenInvalid):
        await tokens.rotate(other, clock())  # expired
    clock.advance(days=-31)
    await tokens.revoke_user(user, clock())
    with pytest.raises(RefreshTokenInvalid):
        await tokens.rotate(other, clock())


async def sessions_are_live_until_they_end(tokens: RefreshTokenStore, clock: ManualClock) -> None:
    """`is_live`, which the sensitive routes ask: as long as the session can refresh."""
    user, phone, pc = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = await tokens.start(user, phone, PHONE, clock())
    await tokens.start(user, pc, PHONE, clock())
    await tokens.rotate(first, clock())
    assert await tokens.is_live(user, phone, clock()), "a rotated family stays live"
    assert not await tokens.is_live(uuid.uuid4(), phone, clock()), "another account's is not"
    await tokens.end_others(user, phone, clock())
    assert not await tokens.is_live(user, pc, clock())
    assert await tokens.is_live(user, phone, clock())
    assert not await tokens.is_live(user, phone, clock() + timedelta(days=31)), "expired"
    await tokens.revoke_family(phone, clock())
    assert not await tokens.is_live(user, phone, clock())


async def test_failure_log_in_postgres(identity: Identity) -> None:
    await failure_records_count_per_subject(identity.app.state.sign_in.failures, ManualClock())


async def test_failure_log_in_memory() -> None:
    await failure_records_count_per_subject(InMemoryFailureLog(), ManualClock())


async def test_refresh_tokens_in_postgres(identity: Identity) -> None:
    tokens = identity.app.state.sign_in.refresh_tokens
    await refresh_tokens_rotate_and_catch_reuse(tokens, ManualClock())


async def test_refresh_tokens_in_memory() -> None:
    await refresh_tokens_rotate_and_catch_reuse(
        InMemoryRefreshTokens(timedelta(days=30)), ManualClock()
    )


async def test_live_sessions_in_postgres(identity: Identity) -> None:
    tokens = identity.app.state.sign_in.refresh_tokens
    await sessions_are_live_until_they_end(tokens, ManualClock())


async def test_live_sessions_in_memory() -> None:
    await sessions_are_live_until_they_end(InMemoryRefreshTokens(timedelta(days=30)), ManualClock())


async def test_log_in_loads_the_account_the_repository_gives(identity: Identity) -> None:
    """identity.lookup's `load` (the lookup and the stored events in one asyncpg statement,
    decoded by the application's mapper) gives the Account eventsourcing's repository gives,
    for an account with events of every kind a log-in reads; and None for an unknown email."""
    sign_in = identity.app.state.sign_in
    accounts, emails = sign_in.accounts, sign_in.emails
    registered = await identity.register()
    now, policy = ManualClock()(), LockoutPolicy(throttle_after=5, lock_after=2)
    with pytest.raises(InvalidCredentials):
        accounts.attempt_log_in(registered.user_id, "wrong password", now, policy)
    with pytest.raises(InvalidCredentials):
        accounts.attempt_log_in(registered.user_id, "wrong again", now, policy)  # locked
    prepared = prepare_temporary_password(sign_in.notifier_public_key)
    assert accounts.reset_password(
        registered.user_id, prepared, now, timedelta(hours=1), timedelta(0)
    )
    accounts.record_sign_in_from_new_device(registered.user_id, PHONE, now)
    accounts.record_passkey_change(registered.user_id, "iPhone", now, "added")

    loaded = await emails.load(registered.email)
    stored = accounts.repository.get(registered.user_id)
    assert loaded is not None and loaded.version == stored.version == 7
    assert vars(loaded) == vars(stored)
    assert loaded.failures.locked_until is not None and loaded.reset_password_hash is not None
    assert await emails.load(f"nobody.{uuid.uuid4().hex[:8]}@example.jp") is None
