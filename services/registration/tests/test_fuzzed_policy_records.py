"""Fuzzing policy.records on the real broker: hundreds of messages drawn from the published
contract (valid, broken, any JSON, not JSON) interleaved with real policies. Afterwards every real
policy registers, every fuzzed message was either a valid record or is in the DLQ, and
registering against any policy the fuzz recorded answers a 4xx at worst, never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path

from aiokafka import AIOKafkaProducer

from claims_shared.events import PolicyRecorded, decode, encode, new_envelope, topics
from devinfra import kafka_clients
from devinfra.fuzzing import corpus, message_values
from devinfra.testing import eventually, read_records
from registration_harness import RegistrationService, policy_record

CONTRACT = Path(__file__).parents[3] / "docs" / "contracts" / "policy-record.schema.json"
FUZZED = 200
REAL = 5


def record_of(value: bytes) -> PolicyRecorded | None:
    try:
        data = decode(value).data
    except Exception:
        return None
    return data if isinstance(data, PolicyRecorded) else None


async def test_fuzzed_policy_records_never_stall_registration_nor_break_it(
    registration: RegistrationService,
) -> None:
    fuzzed = corpus(message_values(json.loads(CONTRACT.read_text())), FUZZED)
    real = [policy_record(f"F{n:09d}") for n in range(REAL)]
    topic = registration.topic(topics.POLICY_RECORDS)
    producer = AIOKafkaProducer(  # as the policy system writes
        **kafka_clients.client(registration.bootstrap, "policy-system"),
        enable_idempotence=True,
        acks="all",
    )
    await producer.start()
    sent: dict[tuple[int, int], bytes] = {}
    try:
        for step, value in enumerate(fuzzed):
            key = real[step % REAL].policy_number.encode()
            meta = await producer.send_and_wait(topic, value, key=key)
            sent[(meta.partition, meta.offset)] = value
            if step % (FUZZED // REAL) == FUZZED // REAL - 1:
                policy = real[step // (FUZZED // REAL)]
                envelope = encode(new_envelope(policy, producer="policy-admin"))
                await producer.send_and_wait(topic, envelope, key=policy.policy_number.encode())
    finally:
        await producer.stop()

    for policy in real:  # recorded despite everything around them: each registers
        await eventually(
            lambda number=policy.policy_number: _recorded(registration, number), timeout=60
        )
        started = await registration.start(policy.policy_number, "483921")
        assert started.status_code == 201, started.text

    expected_dead = {position for position, value in sent.items() if record_of(value) is None}

    async def dead_lettered() -> bool:
        records = await read_records(
            registration.bootstrap,
            registration.topic(topics.dlq(topics.POLICY_RECORDS)),
            expected=len(expected_dead),
            timeout=5,
        )
        positions = {
            (
                int(dict(r.headers)["dlq.source_partition"]),
                int(dict(r.headers)["dlq.source_offset"]),
            )
            for r in records
        }
        return expected_dead <= positions

    await eventually(dead_lettered, timeout=60)
    assert len(expected_dead) > FUZZED // 2, "most of the fuzz is malformed"

    for value in sent.values():
        if (record := record_of(value)) is not None:
            answer = await registration.start(record.policy_number, "483921")
            assert answer.status_code < 500, (record.policy_number, answer.text)
            answer = await registration.details(
                full_name=record.holder.full_name,
                date_of_birth=str(record.holder.date_of_birth),
                policy_number=record.policy_number,
                email="fuzz@example.jp",
            )
            assert answer.status_code < 500, (record.policy_number, answer.text)


async def _recorded(registration: RegistrationService, number: str) -> object:
    """Asked of the view, not by trying the code: a try before the record arrives is a wrong
    try, and three of them throttle the policy."""
    return await registration.app.state.journeys.policies.pool.fetchval(
        "SELECT 1 FROM policies WHERE policy_number = $1", number
    )
