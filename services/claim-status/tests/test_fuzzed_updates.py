"""Fuzzing the adjuster updates topic on the real broker, as the HTTP sweep fuzzes the APIs:
hundreds of messages drawn from the published contract (valid, broken one way or two, envelopes
of any data, JSON of any shape, bytes that are not JSON), keyed to real claims and interleaved
with their valid updates. Afterwards every valid update is visible in order, every fuzzed message
was either taken as a valid update or is in the DLQ, nothing stalled, and no customer route of
any customer the fuzz created answers 5xx."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from claim_status_harness import ClaimLog, ClaimStatusService, opened
from claims_shared.events import decode, encode, new_envelope, topics
from devinfra import kafka_clients
from devinfra.fuzzing import corpus, message_values
from devinfra.testing import eventually, read_records

CONTRACT = Path(__file__).parents[3] / "docs" / "contracts" / "adjuster-update.schema.json"
FUZZED = 300
CLAIMS = 6
NOTES = 8  # valid updates per claim after its opening, sent between the fuzzed messages


def applicable(value: bytes) -> bool:
    try:
        decode(value)
    except Exception:
        return False
    return True


async def test_fuzzed_updates_never_stall_the_intake_nor_break_a_page(
    claim_status: ClaimStatusService,
) -> None:
    clock = claim_status.clock
    fuzzed = corpus(message_values(json.loads(CONTRACT.read_text())), FUZZED)
    logs = [ClaimLog() for _ in range(CLAIMS)]
    valid = {log.claim_id: [opened(log, clock, f"C-FZ{n}")] for n, log in enumerate(logs)}
    for log in logs:
        valid[log.claim_id] += [
            log.next("note_added", clock, text=f"経過 {i}") for i in range(NOTES)
        ]
    shuffle = random.Random(13)

    producer = AIOKafkaProducer(  # as an adjusters' system writes
        **kafka_clients.client(claim_status.bootstrap, "adjusters"),
        enable_idempotence=True,
        acks="all",
    )
    await producer.start()
    sent: dict[tuple[int, int], bytes] = {}
    try:
        topic = claim_status.topic(topics.ADJUSTER_UPDATES)
        for step, value in enumerate(fuzzed):
            claim_id = logs[step % CLAIMS].claim_id
            meta = await producer.send_and_wait(topic, value, key=claim_id.encode())
            sent[(meta.partition, meta.offset)] = value
            if step % (FUZZED // NOTES) == 0 or shuffle.random() < 0.02:
                for updates in valid.values():
                    if updates:
                        update = updates.pop(0)
                        envelope = encode(new_envelope(update, producer="claims-core"))
                        await producer.send_and_wait(topic, envelope, key=update.claim_id.encode())
        for updates in valid.values():
            for update in updates:
                envelope = encode(new_envelope(update, producer="claims-core"))
                await producer.send_and_wait(topic, envelope, key=update.claim_id.encode())
    finally:
        await producer.stop()

    for n, log in enumerate(logs):
        detail = await claim_status.accident_at(f"C-FZ{n}", log.claim_id, NOTES + 1)
        texts = [entry["text"] for entry in reversed(detail["timeline"][:NOTES])]
        assert texts == [f"経過 {i}" for i in range(NOTES)], "in order, each once"

    # Updates held for a gap that will never fill go to the DLQ once their time is up.
    clock.advance(seconds=claim_status.settings.hold_early_updates_seconds + 1)
    expected_dead = [value for value in sent.values() if not applicable(value)]

    async def dead_lettered() -> set[tuple[int, int]] | None:
        records = await read_records(
            claim_status.bootstrap,
            claim_status.topic(topics.dlq(topics.ADJUSTER_UPDATES)),
            expected=len(expected_dead),
            timeout=5,
        )
        positions = {_source(record.headers) for record in records}
        missing = [
            position
            for position, value in sent.items()
            if not applicable(value) and position not in positions
        ]
        return positions if not missing else None

    await eventually(dead_lettered, timeout=60)
    assert len(expected_dead) > FUZZED // 2, "most of the fuzz is malformed"

    async with claim_status.app.state.intake.held.pool.acquire() as connection:
        customers = [
            row["customer_id"]
            for row in await connection.fetch("SELECT DISTINCT customer_id FROM accidents_v1")
        ]
        claims = await connection.fetch("SELECT claim_id, customer_id FROM accidents_v1")
    for customer in customers:
        listing = await claim_status.client.get(
            "/api/v1/me/accidents", headers=claim_status.as_customer(customer)
        )
        assert listing.status_code == 200, (customer, listing.text)
    for row in claims:
        for language in ("ja", "en"):
            detail = await claim_status.accident(row["customer_id"], row["claim_id"], language)
            assert detail.status_code == 200, (row["claim_id"], detail.text)


def _source(headers: Any) -> tuple[int, int]:
    found = dict(headers or ())
    if b"" == found.get("dlq.source_offset", b""):
        return (-1, -1)
    return int(found["dlq.source_partition"]), int(found["dlq.source_offset"])
