"""The customer's notification settings: the routes that read and replace them, and the mails
they decide, with the settings, the directory and the notice schedule in memory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from claims_shared.auth import TOKEN_VERIFIER, TokenVerifier
from claims_shared.events import AccountLocked, ClaimStatusChanged, PasswordChanged
from claims_shared.web import create_service_app
from notifier.api import ERRORS, PREFERENCES, customer_router
from notifier.handlers import MAILED_CHANGES
from notifier.main import wire
from notifier.preferences import (
    DEFAULT_CHANNELS,
    NOTICE_KINDS,
    Channels,
    InMemoryPreferences,
    NoticeKind,
    kind_of_change,
)
from notifier.settings import NotifierSettings
from notifier_fakes import FakeMailSender, InMemoryNotices, deliver, in_memory_ports
from notifier_harness import EXPIRES, bearer, key_set

CUSTOMER = "C-SETTINGS-1"
ALL_ON = {"mail": True, "push": True}


def settings_body(**kinds: dict[str, Any]) -> dict[str, Any]:
    """Every kind with the defaults (mail on, push off) but those given."""
    chosen = {kind: {"mail": True, "push": False} for kind in NOTICE_KINDS}
    return {"kinds": {**chosen, **kinds}}


# --- the routes -------------------------------------------------------------------------------


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """The notifier's customer routes as main.build wires them, its settings in memory."""
    app: FastAPI = create_service_app(
        settings=NotifierSettings(), routers=[customer_router], errors=ERRORS
    )
    PREFERENCES.put(app, InMemoryPreferences())
    TOKEN_VERIFIER.put(
        app, TokenVerifier(key_set, issuer="claims-status-identity", audience="claims-status")
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as client:
        yield client


async def test_a_customer_who_chose_nothing_sees_mail_on_and_push_off(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/api/v1/me/notification-settings", headers=bearer(CUSTOMER))

    assert answer.status_code == 200
    assert answer.json() == settings_body()


async def test_the_settings_chosen_are_answered_and_kept(api: httpx.AsyncClient) -> None:
    chosen = settings_body(
        status_changed={"mail": False, "push": True},
        message_received={"mail": False, "push": False},
    )

    put = await api.put("/api/v1/me/notification-settings", json=chosen, headers=bearer(CUSTOMER))
    got = await api.get("/api/v1/me/notification-settings", headers=bearer(CUSTOMER))

    assert (put.status_code, put.json()) == (200, chosen)
    assert got.json() == chosen


async def test_one_customers_settings_are_not_anothers(api: httpx.AsyncClient) -> None:
    await api.put(
        "/api/v1/me/notification-settings",
        json=settings_body(action_requested={"mail": False, "push": True}),
        headers=bearer(CUSTOMER),
    )

    other = await api.get("/api/v1/me/notification-settings", headers=bearer("C-SETTINGS-2"))

    assert other.json() == settings_body()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kinds": {}},
        {"kinds": {"status_changed": {"mail": True, "push": False}}},  # two kinds left out
        settings_body(status_changed={"mail": True}),  # a channel left out
        settings_body(status_changed={"mail": "true", "push": False}),
        settings_body(status_changed={"mail": 1, "push": False}),
        settings_body(status_changed={"mail": None, "push": False}),
        settings_body(status_changed={"mail": True, "push": False, "sms": True}),
        settings_body(security={"mail": False, "push": False}),  # not a setting
        {**settings_body(), "extra": 1},
        [],
    ],
)
async def test_a_body_not_exactly_every_kind_and_both_channels_as_booleans_is_refused(
    api: httpx.AsyncClient, body: Any
) -> None:
    answer = await api.put("/api/v1/me/notification-settings", json=body, headers=bearer(CUSTOMER))
    after = await api.get("/api/v1/me/notification-settings", headers=bearer(CUSTOMER))

    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_failed"
    assert after.json() == settings_body()  # nothing kept


async def test_the_settings_need_a_customers_full_session(api: httpx.AsyncClient) -> None:
    path = "/api/v1/me/notification-settings"

    no_token = await api.get(path)
    forged = await api.get(path, headers={"Authorization": "Bearer not-a-token"})
    temporary = await api.put(
        path, json=settings_body(), headers=bearer(CUSTOMER, scope="password:change")
    )

    assert (no_token.status_code, no_token.json()["code"]) == (401, "unauthenticated")
    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_token")
    assert (temporary.status_code, temporary.json()["code"]) == (403, "password_change_required")
    assert "パスワードを変更してください" in temporary.json()["message"]
    english = await api.get(path, headers={"Accept-Language": "en"})
    assert english.json() == {"code": "unauthenticated", "message": "Please log in."}


# --- the mails they decide --------------------------------------------------------------------


def test_each_mailed_change_is_a_request_a_message_or_a_status_change() -> None:
    kinds = {change: kind_of_change(change) for change in MAILED_CHANGES}

    assert kinds.pop("customer_action_requested") == "action_requested"
    assert kinds.pop("message_to_customer") == "message_received"
    assert set(kinds.values()) == {"status_changed"}


class Notifier:
    def __init__(self) -> None:
        self.ports = in_memory_ports()
        self.notifications = wire(NotifierSettings(), self.ports)
        assert isinstance(self.ports.preferences, InMemoryPreferences)
        assert isinstance(self.ports.notices, InMemoryNotices)
        assert isinstance(self.ports.sender, FakeMailSender)
        self.preferences = self.ports.preferences
        self.notices = self.ports.notices
        self.sender = self.ports.sender
        self.sequence = 0

    async def knows(self, customer_id: str) -> None:
        await self.ports.customers.remember(customer_id, "misaki@example.jp", "ja")

    async def hear(self, data: Any) -> None:
        await deliver(self.notifications.routes(), data, data.customer_id)

    async def change(self, change: str, customer_id: str = CUSTOMER, claim: str = "CL-1") -> None:
        self.sequence += 1
        await self.hear(
            ClaimStatusChanged(
                claim_id=claim,
                customer_id=customer_id,
                change=change,  # type: ignore[arg-type]
                stage="investigating",
                sequence=self.sequence,
            )
        )

    def waiting(self) -> list[tuple[str, str, int]]:
        """(claim, mail template, changes joined) of each notice waiting to be mailed."""
        return sorted((n.claim_id, n.kind, n.changes) for n in self.notices.waiting.values())


@pytest.fixture
async def notifier() -> Notifier:
    notifier = Notifier()
    await notifier.knows(CUSTOMER)
    return notifier


async def choose(notifier: Notifier, push: bool = False, **mail: bool) -> None:
    """The customer's mail on or off per kind as given, push as `push`."""
    chosen = {kind: Channels(mail=mail[kind], push=push) for kind in NOTICE_KINDS if kind in mail}
    await notifier.preferences.choose(CUSTOMER, chosen)


async def test_by_default_every_kind_is_mailed(notifier: Notifier) -> None:
    assert await notifier.preferences.channels(CUSTOMER, "status_changed") == DEFAULT_CHANNELS

    await notifier.change("stage_changed", claim="CL-1")
    await notifier.change("customer_action_requested", claim="CL-2")
    await notifier.change("message_to_customer", claim="CL-3")

    assert notifier.waiting() == [
        ("CL-1", "claim_status_changed", 1),
        ("CL-2", "action_requested", 1),
        ("CL-3", "new_message", 1),
    ]


# A change of each kind, each on its own claim, and which of them are mailed with one kind's
# mail off: that kind's change schedules nothing, the others as before.
CHANGE_OF = {
    "status_changed": ("CL-S", "stage_changed", "claim_status_changed"),
    "action_requested": ("CL-A", "customer_action_requested", "action_requested"),
    "message_received": ("CL-M", "message_to_customer", "new_message"),
}


@pytest.mark.parametrize("off", NOTICE_KINDS)
async def test_a_kind_with_mail_and_push_off_schedules_nothing_and_the_others_still_do(
    notifier: Notifier, off: NoticeKind
) -> None:
    await choose(notifier, **{off: False})

    for claim, change, _ in CHANGE_OF.values():
        await notifier.change(change, claim=claim)

    assert notifier.waiting() == sorted(
        (claim, template, 1) for kind, (claim, _, template) in CHANGE_OF.items() if kind != off
    )


@pytest.mark.parametrize(
    "change",
    [c for c in MAILED_CHANGES if kind_of_change(c) == "status_changed"],
)
async def test_status_mail_off_covers_every_change_of_status(
    notifier: Notifier, change: str
) -> None:
    await choose(notifier, status_changed=False)

    await notifier.change(change)

    assert notifier.waiting() == []


async def test_with_only_requests_mailed_a_burst_schedules_the_request_alone(
    notifier: Notifier,
) -> None:
    """A request for action is a notice of its own; the stage changes around it, with status
    mail off, schedule nothing."""
    await choose(notifier, status_changed=False, action_requested=True, message_received=False)

    await notifier.change("stage_changed")
    await notifier.change("customer_action_requested")
    await notifier.change("handler_assigned")
    await notifier.change("message_to_customer")

    assert notifier.waiting() == [("CL-1", "action_requested", 1)]


@pytest.mark.parametrize("off", NOTICE_KINDS)
async def test_a_kind_with_mail_off_and_push_on_is_still_scheduled_for_its_push(
    notifier: Notifier, off: NoticeKind
) -> None:
    """The sweeper sends it without a mail (it reads the kind's mail setting when the notice
    is due; test_notification_settings.py) and pushes it."""
    await choose(notifier, push=True, **{off: False})
    claim, change, template = CHANGE_OF[off]

    await notifier.change(change, claim=claim)

    assert notifier.waiting() == [(claim, template, 1)]


async def test_with_every_kind_off_nothing_is_mailed_for_claims(notifier: Notifier) -> None:
    await choose(notifier, status_changed=False, action_requested=False, message_received=False)

    for change in MAILED_CHANGES:
        await notifier.change(change)

    assert notifier.waiting() == []


async def test_one_customers_settings_do_not_silence_another(notifier: Notifier) -> None:
    await notifier.knows("C-OTHER")
    await choose(notifier, status_changed=False)

    await notifier.change("stage_changed", customer_id="C-OTHER")

    assert notifier.waiting() == [("CL-1", "claim_status_changed", 1)]


async def test_security_notices_are_mailed_with_every_kind_off(notifier: Notifier) -> None:
    await choose(notifier, status_changed=False, action_requested=False, message_received=False)

    await notifier.hear(
        PasswordChanged(user_id=uuid.uuid4(), customer_id=CUSTOMER, email="misaki@example.jp")
    )
    await notifier.hear(
        AccountLocked(
            user_id=uuid.uuid4(),
            customer_id=CUSTOMER,
            email="misaki@example.jp",
            locked_until=EXPIRES,
            failed_attempts=10,
            language="ja",
        )
    )

    assert [mail.subject for mail in notifier.sender.mails] == [
        "【お客さまWebサービス】パスワード変更のお知らせ",
        "【お客さまWebサービス】ログインを一時停止しました",
    ]
