"""From a UserRegistered on the topic to a log-in, through the real broker and database."""

import uuid

from claims_shared.events import UserRegistered
from identity_harness import Identity


async def test_a_registered_customer_logs_in_and_sees_their_account(identity: Identity) -> None:
    event = await identity.register(password="correct horse battery")
    response = await identity.log_in(event.email.upper(), "correct horse battery")
    assert response.status_code == 200
    session = response.json()
    assert session["token_type"] == "Bearer"
    assert session["password_change_required"] is False
    assert session["refresh_token"]
    me = await identity.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert me.json() == {
        "user_id": str(event.user_id),
        "email": event.email,
        "customer_id": event.customer_id,
        "policy_numbers": ["A123456789"],
    }


async def test_a_redelivered_registration_changes_nothing(identity: Identity) -> None:
    event = await identity.register(password="correct horse battery")
    envelope_id = uuid.uuid4()
    await identity.publish(event, envelope_id)
    await identity.publish(event, envelope_id)
    other = await identity.register(password="another good passphrase")  # consumed after both
    assert (await identity.log_in(other.email, "another good passphrase")).status_code == 200
    assert (await identity.log_in(event.email, "correct horse battery")).status_code == 200
    count = await identity.app.state.sign_in.emails.pool.fetchval(
        "SELECT count(*) FROM account_emails WHERE account_id = $1", event.user_id
    )
    assert count == 1


async def test_unknown_email_and_wrong_password_get_the_same_answer(identity: Identity) -> None:
    event = await identity.register(password="correct horse battery")
    wrong = await identity.log_in(event.email, "not the password")
    unknown = await identity.log_in("nobody@example.jp", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    english = await identity.client.post(
        "/api/v1/sessions",
        json={"email": "nobody@example.jp", "password": "x"},
        headers={"Accept-Language": "en"},
    )
    assert english.json()["message"] == "The email address or password is incorrect."


async def test_full_width_email_and_password_typed_on_a_phone_still_log_in(
    identity: Identity,
) -> None:
    event = await identity.register(password="Yamada2026!", email="hanako@example.jp")
    response = await identity.log_in("ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ", "Ｙａｍａｄａ２０２６！")
    assert response.status_code == 200, response.json()
    assert event.email == "hanako@example.jp"


async def test_repeated_failures_throttle_then_lock_and_the_lock_ends(identity: Identity) -> None:
    event = await identity.register(password="correct horse battery")
    for _ in range(3):
        assert (await identity.log_in(event.email, "wrong")).status_code == 401
    throttled = await identity.log_in(event.email, "correct horse battery")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "too_many_attempts"
    assert throttled.headers["Retry-After"] == "2"
    for _ in range(2):
        identity.clock.advance(seconds=10)
        assert (await identity.log_in(event.email, "wrong")).status_code == 401
    identity.clock.advance(seconds=10)
    locked = await identity.log_in(event.email, "correct horse battery")
    assert (locked.status_code, locked.json()["code"]) == (429, "account_locked")
    assert 1790 <= int(locked.headers["Retry-After"]) <= 1800
    identity.clock.advance(minutes=30)
    assert (await identity.log_in(event.email, "correct horse battery")).status_code == 200


async def test_unknown_emails_are_throttled_exactly_like_accounts(identity: Identity) -> None:
    known = await identity.register(password="correct horse battery")
    answers = {}
    for email in (known.email, "ghost@example.jp"):
        statuses = [(await identity.log_in(email, "wrong")).status_code for _ in range(4)]
        answers[email] = statuses
    assert answers[known.email] == answers["ghost@example.jp"] == [401, 401, 401, 429]


async def test_a_customer_token_never_carries_staff_roles(identity: Identity) -> None:
    event = await identity.register(password="correct horse battery")
    token = (await identity.log_in(event.email, "correct horse battery")).json()["access_token"]
    principal = await identity.app.state.token_verifier.verify(token)
    assert principal.roles == frozenset()
    assert principal.scopes == {"customer"}
    assert isinstance(event, UserRegistered)
