"""The message board through the real service, broker and database: the customer posts (announced
once on claims.customer-submissions), the handler answers and marks 既読 with adjuster updates,
and the customer reads the thread (their unread count falls to 0). And the refusals a customer
can meet: too long, someone else's accident, a resolved one, too many messages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from claim_status_harness import (
    ClaimLog,
    ClaimStatusService,
    claim_status_serving,
    claim_status_settings,
    open_claim,
    read_replica,
)
from claims_shared.events import topics
from devinfra.testing import eventually, find_envelopes


def customer() -> str:
    return f"C-{uuid.uuid4().hex[:8]}"


async def handler_writes(service: ClaimStatusService, log: ClaimLog) -> None:
    """The handler's message_to_customer, accepted by the update API."""
    answer = log.next(
        "message_to_customer", service.clock, message_id=str(uuid.uuid4()), text="ご連絡です。"
    )
    assert (await service.post_update(answer)).status_code == 202


def messages_of(log: ClaimLog) -> str:
    return f"/api/v1/me/accidents/{log.claim_id}/messages"


async def post(
    service: ClaimStatusService, customer_id: str, log: ClaimLog, text: str, language: str = "ja"
) -> httpx.Response:
    return await service.client.post(
        messages_of(log),
        json={"text": text},
        headers={**service.as_customer(customer_id), "Accept-Language": language},
    )


async def read(
    service: ClaimStatusService, customer_id: str, log: ClaimLog, language: str = "ja"
) -> httpx.Response:
    return await service.client.get(
        messages_of(log),
        headers={**service.as_customer(customer_id), "Accept-Language": language},
    )


async def thread_where(
    service: ClaimStatusService, customer_id: str, log: ClaimLog, ready: Any
) -> dict[str, Any]:
    """The thread once `ready(thread)` holds (the projections take a moment)."""

    async def seen() -> dict[str, Any] | None:
        response = await read(service, customer_id, log)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body if ready(body) else None

    return await eventually(seen)


async def test_a_message_round_trip_with_read_marks_both_ways(
    claim_status: ClaimStatusService,
) -> None:
    service, customer_id = claim_status, customer()
    log = await open_claim(service, customer_id)

    posted = await post(
        service, customer_id, log, "  修理工場は　ＡＢＣ自動車です。\r\n写真は明日送ります。 "
    )
    assert posted.status_code == 201, posted.text
    message_id = posted.json()["message_id"]
    announced = await find_envelopes(
        service.bootstrap,
        service.topic(topics.CUSTOMER_SUBMISSIONS),
        lambda e: (
            e["event_type"] == "CustomerMessagePosted" and e["data"]["claim_id"] == log.claim_id
        ),
    )
    assert [e["data"]["text"] for e in announced] == [
        "修理工場は ABC自動車です。\n写真は明日送ります。"
    ]
    assert announced[0]["data"]["message_id"] == message_id

    answer = log.next(
        "message_to_customer",
        service.clock,
        message_id=str(uuid.uuid4()),
        text="承知しました。見積書が届きましたらご連絡します。",
    )
    assert (await service.post_update(answer)).status_code == 202
    changed = await find_envelopes(
        service.bootstrap,
        service.topic(topics.CLAIM_STATUS_EVENTS),
        lambda e: (
            e["data"]["claim_id"] == log.claim_id and e["data"]["change"] == "message_to_customer"
        ),
    )
    assert "text" not in changed[0]["data"], "the status event never carries the message"

    async def unread_on_the_list() -> int | None:
        listing = await service.client.get(
            "/api/v1/me/accidents", headers=service.as_customer(customer_id)
        )
        [item] = listing.json()["items"]
        return item.get("unread_messages")

    assert await eventually(unread_on_the_list) == 1

    first_look = await thread_where(service, customer_id, log, lambda t: len(t["messages"]) == 2)
    assert first_look["office_hours"] == "平日 9:00〜17:00"
    assert first_look["closed"] is False
    assert [(m["sender"], m["read"]) for m in first_look["messages"]] == [
        ("customer", False),  # the handler has not read it yet
        ("handler", False),  # new to the customer until this visit
    ]
    assert first_look["messages"][1]["text"] == "承知しました。見積書が届きましたらご連絡します。"

    async def no_unread() -> bool:
        return await unread_on_the_list() == 0

    await eventually(no_unread)

    read_mark = log.next("customer_messages_read", service.clock, up_to=message_id)
    assert (await service.post_update(read_mark)).status_code == 202
    later = await thread_where(
        service, customer_id, log, lambda t: t["messages"][0]["read"] is True
    )
    assert [(m["sender"], m["read"]) for m in later["messages"]] == [
        ("customer", True),  # 既読: the handler read it
        ("handler", True),  # read on the first visit
    ]


async def test_reading_again_records_no_second_read_mark(
    claim_status: ClaimStatusService,
) -> None:
    service, customer_id = claim_status, customer()
    log = await open_claim(service, customer_id)
    await handler_writes(service, log)
    await thread_where(service, customer_id, log, lambda t: len(t["messages"]) == 1)
    await thread_where(service, customer_id, log, lambda t: t["messages"][0]["read"])
    for _ in range(3):
        assert (await read(service, customer_id, log)).status_code == 200

    correspondence = service.app.state.correspondence
    thread = correspondence.thread(log.claim_id)
    events = correspondence.repository.event_store.get(thread.id)
    assert [type(e).__name__ for e in events] == ["Started", "MessagesRead"]


async def test_html_and_links_stay_text(claim_status: ClaimStatusService) -> None:
    service, customer_id = claim_status, customer()
    log = await open_claim(service, customer_id)
    typed = '<script>alert("x")</script><a href="https://evil.example">こちら</a>'

    assert (await post(service, customer_id, log, typed)).status_code == 201

    body = await thread_where(service, customer_id, log, lambda t: t["messages"])
    assert body["messages"][0]["text"] == typed


async def test_2001_characters_are_refused_beside_the_field(
    claim_status: ClaimStatusService,
) -> None:
    service, customer_id = claim_status, customer()
    log = await open_claim(service, customer_id)

    assert (await post(service, customer_id, log, "あ" * 2000)).status_code == 201
    refused = await post(service, customer_id, log, "あ" * 2001, language="en")
    empty = await post(service, customer_id, log, " \n　")
    control = await post(service, customer_id, log, "ベル\x07")

    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["text"]
    assert "2000" in refused.json()["errors"][0]["message"]
    assert (empty.status_code, control.status_code) == (422, 422)


async def test_another_customers_thread_is_not_found(claim_status: ClaimStatusService) -> None:
    service, owner, stranger = claim_status, customer(), customer()
    log = await open_claim(service, owner)
    assert (await post(service, owner, log, "本人のメッセージ")).status_code == 201

    peeked = await read(service, stranger, log)
    written = await post(service, stranger, log, "他人のメッセージ")
    missing = await read(service, owner, ClaimLog())

    for response in (peeked, written, missing):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "該当する事故が見つかりません。"}


async def test_a_closed_claims_thread_is_read_only(claim_status: ClaimStatusService) -> None:
    service, customer_id = claim_status, customer()
    log = await open_claim(service, customer_id)
    assert (await post(service, customer_id, log, "ありがとうございました。")).status_code == 201
    await service.send(log.next("claim_closed", service.clock))
    await service.accident_at(customer_id, log.claim_id, 2)

    refused = await post(service, customer_id, log, "もう一点だけ。", language="en")

    assert refused.status_code == 409
    assert refused.json()["code"] == "claim_closed"
    assert "Please call your claims handler" in refused.json()["message"]
    thread = await thread_where(service, customer_id, log, lambda t: t["messages"])
    assert thread["closed"] is True
    assert [m["text"] for m in thread["messages"]] == ["ありがとうございました。"]


@pytest.fixture
async def strict(infrastructure: Any, database_url: str) -> AsyncIterator[ClaimStatusService]:
    """A service that lets a customer post three messages an hour."""
    settings = claim_status_settings(infrastructure, database_url, messages_per_hour=3)
    async with claim_status_serving(settings) as service:
        yield service


async def test_too_many_messages_wait_for_the_hour(strict: ClaimStatusService) -> None:
    service, customer_id = strict, customer()
    first, second = await open_claim(service, customer_id), await open_claim(service, customer_id)
    for n, log in enumerate((first, second, first), start=1):
        assert (await post(service, customer_id, log, f"{n}通目")).status_code == 201
        service.clock.advance(minutes=10)
        await thread_where(
            service, customer_id, log, lambda t, n=n: len(t["messages"]) >= (n + 1) // 2
        )

    refused = await post(service, customer_id, second, "4通目")

    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_messages"
    assert int(refused.headers["Retry-After"]) == 30 * 60  # the first leaves the hour then
    service.clock.advance(minutes=30, seconds=1)
    assert (await post(service, customer_id, second, "4通目")).status_code == 201


async def test_a_read_replica_shows_the_thread_without_recording_the_read(
    claim_status: ClaimStatusService, infrastructure: Any
) -> None:
    """A standby refuses writes: the 既読 mark waits for a visit served by the primary."""
    service, customer_id = claim_status, customer()
    log = await open_claim(service, customer_id)
    await handler_writes(service, log)
    await service.accident_at(customer_id, log.claim_id, 2)  # the message is in the read model
    async with read_replica(service, infrastructure) as replica:
        shown = await replica.get(messages_of(log), headers=service.as_customer(customer_id))
    assert shown.status_code == 200, shown.text
    assert [(m["sender"], m["read"]) for m in shown.json()["messages"]] == [("handler", False)]
