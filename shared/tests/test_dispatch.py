"""A consumer's dispatch table: the runner decodes each message once and hands its handler the
typed event; events of types the table does not name are skipped and committed past (another
service's new reaction must not stop this consumer); what does not decode goes to the DLQ."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

import backbone_fixtures as ledger
from claims_shared.events import (
    AccountLocked,
    AdjusterUpdate,
    Envelope,
    EventData,
    PasswordChanged,
    UnknownEventType,
    decode,
    encode,
    new_envelope,
)
from claims_shared.kafka import (
    MESSAGES_DEAD_LETTERED,
    Dispatch,
    EventBatches,
    EventRoutes,
    Received,
    Refusals,
    UnprocessableMessage,
)
from devinfra import kafka_clients
from devinfra.testing import eventually

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> bytes:
    return (GOLDEN / f"{name}.v1.json").read_bytes()


def record_of(
    value: bytes, key: bytes = b"C0001", topic: str = "identity.events"
) -> ConsumerRecord:
    return ConsumerRecord(topic, 0, 0, 0, 0, key, value, None, len(key), len(value), [])


async def ignore(event: EventData, envelope: Envelope[Any]) -> None:
    raise AssertionError("only read() is called here")


def test_a_routed_message_is_decoded_as_its_type_once_and_an_unrouted_one_is_skipped() -> None:
    routes = EventRoutes().on(PasswordChanged, ignore)
    received = routes.read(record_of(golden("PasswordChanged")))
    assert received is not None
    assert isinstance(received.event, PasswordChanged)
    assert received.envelope.event_id == decode(golden("PasswordChanged")).event_id
    assert routes.read(record_of(golden("AccountLocked"))) is None


def test_an_adjuster_update_route_takes_every_kind_of_update_as_its_own_class() -> None:
    routes = EventRoutes(refuse_others=True).on(AdjusterUpdate, ignore)
    received = routes.read(record_of(golden("AdjusterUpdate")))
    assert received is not None
    assert isinstance(received.event, AdjusterUpdate)
    assert type(received.event) is not AdjusterUpdate  # the kind its `type` names


def test_what_no_consumer_could_read_is_refused_whatever_the_table() -> None:
    routes = EventRoutes().on(PasswordChanged, ignore)
    with pytest.raises(ValidationError):
        routes.read(record_of(b"\xff not json"))
    with pytest.raises(UnknownEventType):
        routes.read(record_of(golden("PasswordChanged").replace(b"PasswordChanged", b"Renamed")))
    with pytest.raises(ValidationError):  # routed, but its data breaks the model
        routes.read(record_of(golden("PasswordChanged").replace(b'"language"', b'"lang"')))


def test_a_message_of_another_type_is_never_taken_as_the_one_type_routed() -> None:
    """A table of one type validates a message with that type's model at once (no first parse
    for its type); a message that fits the model but says it is another type is still read as
    what it says: here an AccountLocked whose data is a PasswordChanged's, refused as such."""
    routes = EventRoutes().on(PasswordChanged, ignore)
    renamed = golden("PasswordChanged").replace(b'"PasswordChanged"', b'"AccountLocked"')
    assert renamed != golden("PasswordChanged")
    with pytest.raises(ValidationError, match="AccountLocked"):
        routes.read(record_of(renamed))


def test_an_inbound_topic_refuses_events_its_contract_does_not_allow() -> None:
    routes = EventRoutes(refuse_others=True).on(AdjusterUpdate, ignore)
    with pytest.raises(UnprocessableMessage, match=r"AccountLocked on .* only AdjusterUpdate"):
        routes.read(record_of(golden("AccountLocked"), topic="claims.adjuster-updates"))


def test_a_type_routed_twice_is_refused_when_the_table_is_built() -> None:
    with pytest.raises(ValueError, match="routed twice"):
        EventRoutes().on(PasswordChanged, ignore).on(PasswordChanged, ignore)


async def committed(bootstrap: str, group: str, topic: str) -> int:
    """How many messages of `topic` the group has committed past, over every partition."""
    admin = AIOKafkaAdminClient(**kafka_clients.client(bootstrap))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for partition, meta in offsets.items() if partition.topic == topic)


@pytest.mark.parametrize("mode", ["one at a time", "batch"])
async def test_a_table_without_a_type_skips_its_events_and_hands_the_rest_over_typed(
    mode: str, infrastructure: Any, unique_topic: Callable[[str], str]
) -> None:
    """The handler gets the decoded PasswordChanged, never a record; AccountLocked, which the
    table lacks, is neither handled nor dead-lettered, and the group commits past it (it is
    the topic's last message)."""
    bootstrap = infrastructure.kafka_bootstrap_servers
    topic = unique_topic("dispatch.identity-events")
    group = f"g-{uuid.uuid4().hex[:6]}"
    changed = decode(golden("PasswordChanged")).data
    locked = decode(golden("AccountLocked")).data
    sent = [new_envelope(data, producer="test") for data in (changed, locked, changed, locked)]
    producer = AIOKafkaProducer(
        **kafka_clients.client(bootstrap), enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        for envelope in sent:
            await producer.send_and_wait(topic, encode(envelope), key=b"C0001")
    finally:
        await producer.stop()

    handed: list[tuple[EventData, uuid.UUID]] = []

    async def note_change(event: PasswordChanged, envelope: Envelope[PasswordChanged]) -> None:
        handed.append((event, envelope.event_id))

    async def note_changes(received: list[Received[PasswordChanged]]) -> Refusals[PasswordChanged]:
        handed.extend((item.event, item.envelope.event_id) for item in received)
        assert all(item.record.key == b"C0001" for item in received)
        return []

    routes: Dispatch = (
        EventRoutes().on(PasswordChanged, note_change)
        if mode == "one at a time"
        else EventBatches(PasswordChanged, note_changes)
    )

    async def both_changes_handed() -> bool:
        return len(handed) == 2

    async def all_committed() -> bool:
        return await committed(bootstrap, group, topic) == len(sent)

    async with ledger.consuming(bootstrap, topic, group, routes):
        await eventually(both_changes_handed)
        await eventually(all_committed)

    assert [event_id for _, event_id in handed] == [sent[0].event_id, sent[2].event_id]
    assert all(type(event) is PasswordChanged and event == changed for event, _ in handed)
    assert not any(isinstance(event, AccountLocked) for event, _ in handed)
    assert MESSAGES_DEAD_LETTERED.labels(group, topic)._value.get() == 0
