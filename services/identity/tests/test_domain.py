"""The account rules alone, with no database: throttling, lock-out, staff roles, and what a
password reset changes (only a pending temporary password until it is used)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from claims_shared.throttle import FailureRecord, LockoutPolicy
from identity.domain import Account, CustomerWithStaffRole, NoPendingReset, UnknownRole

POLICY = LockoutPolicy(
    throttle_after=3,
    lock_after=5,
    lock_for=timedelta(minutes=30),
    first_delay=timedelta(seconds=2),
    max_delay=timedelta(seconds=60),
)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def account(**overrides: object) -> Account:
    fields: dict = dict(
        user_id=uuid.uuid4(),
        email="taro@example.jp",
        customer_id="C1",
        policy_numbers=["A1"],
        password_hash="h",
        must_change_password=False,
        temporary_password_expires_at=None,
        language="ja",
        roles=[],
    )
    return Account(**{**fields, **overrides})


def test_failures_below_the_threshold_do_not_block() -> None:
    record = FailureRecord()
    for _ in range(2):
        record = record.after_failure(NOW, POLICY)
    assert record.blocked_until(NOW, POLICY) is None


def test_throttle_delay_doubles_after_the_threshold() -> None:
    record = FailureRecord()
    for _ in range(3):
        record = record.after_failure(NOW, POLICY)
    assert record.blocked_until(NOW, POLICY) == NOW + timedelta(seconds=2)
    record = record.after_failure(NOW + timedelta(seconds=3), POLICY)
    assert record.blocked_until(NOW + timedelta(seconds=3), POLICY) == NOW + timedelta(seconds=7)


def test_lock_lasts_its_period_then_the_count_starts_again() -> None:
    record = FailureRecord()
    for minute in range(5):
        record = record.after_failure(NOW + timedelta(minutes=minute), POLICY)
    locked_at = NOW + timedelta(minutes=4)
    assert record.blocked_until(locked_at, POLICY) == locked_at + timedelta(minutes=30)
    after = locked_at + timedelta(minutes=30)
    assert record.blocked_until(after, POLICY) is None
    assert record.after_failure(after, POLICY).failures == 1


def test_locking_an_account_records_a_locked_event() -> None:
    customer = account()
    for minute in range(5):
        customer.record_failed_log_in(NOW + timedelta(minutes=minute), POLICY)
    names = [type(e).__name__ for e in customer.collect_events()]
    assert names.count("LogInFailed") == 5
    assert names[-1] == "Locked"


def test_a_successful_log_in_clears_failures() -> None:
    customer = account()
    customer.record_failed_log_in(NOW, POLICY)
    customer.record_successful_log_in()
    assert customer.failures == FailureRecord()


def test_temporary_password_expires() -> None:
    customer = account(
        must_change_password=True, temporary_password_expires_at=NOW + timedelta(hours=24)
    )
    assert not customer.temporary_password_expired(NOW + timedelta(hours=23))
    assert customer.temporary_password_expired(NOW + timedelta(hours=24))


def test_customers_never_carry_staff_roles() -> None:
    with pytest.raises(CustomerWithStaffRole):
        account(roles=["adjuster"])
    with pytest.raises(UnknownRole):
        account(customer_id=None, roles=["admin"])
    assert account(customer_id=None, roles=["adjuster"]).is_staff


def reset(customer: Account, at: datetime = NOW) -> None:
    customer.issue_temporary_password(
        password_hash="temporary",
        sealed_password="sealed",
        expires_at=at + timedelta(hours=24),
        at=at,
    )


def test_a_reset_request_leaves_the_current_password_and_waits_beside_it() -> None:
    customer = account(password_hash="current")
    reset(customer)
    assert customer.password_hash == "current"
    assert customer.must_change_password is False
    assert customer.reset_password_hash == "temporary"
    assert not customer.reset_expired(NOW + timedelta(hours=23))
    assert customer.reset_expired(NOW + timedelta(hours=24))


def test_using_the_temporary_password_makes_it_the_password_and_forces_a_change() -> None:
    customer = account(password_hash="current")
    reset(customer)
    customer.use_temporary_password(NOW + timedelta(hours=1))
    assert customer.password_hash == "temporary"
    assert customer.must_change_password is True
    assert customer.temporary_password_expires_at == NOW + timedelta(hours=24)
    assert customer.reset_password_hash is None
    with pytest.raises(NoPendingReset):
        customer.use_temporary_password(NOW + timedelta(hours=2))


def test_a_reset_request_does_not_lift_a_lock() -> None:
    """Otherwise anyone guessing a password could clear the count with a reset a minute."""
    customer = account()
    for minute in range(5):
        customer.record_failed_log_in(NOW + timedelta(minutes=minute), POLICY)
    reset(customer, NOW + timedelta(minutes=5))
    assert customer.blocked_until(NOW + timedelta(minutes=5), POLICY) is not None


def test_a_completed_password_change_drops_a_pending_reset() -> None:
    customer = account(password_hash="current")
    reset(customer)
    customer.change_password("chosen")
    assert (customer.password_hash, customer.reset_password_hash) == ("chosen", None)


def test_the_account_replays_to_the_same_state() -> None:
    customer = account(password_hash="current")
    reset(customer)
    customer.use_temporary_password(NOW)
    replayed = None
    for domain_event in customer.collect_events():
        replayed = domain_event.mutate(replayed)
    assert replayed is not None
    assert replayed.password_hash == "temporary"
    assert replayed.must_change_password is True
    assert replayed.reset_password_hash is None
