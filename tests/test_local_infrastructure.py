"""The infrastructure every test and `make infra` stands on answers real clients: an aiokafka
producer and consumer, asyncpg, and SMTP with its JSON mail listing."""

import uuid
from email.message import EmailMessage

import aiosmtplib
import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def test_kafka_answers_an_idempotent_producer_and_a_committing_consumer(
    infrastructure, unique_topic
) -> None:
    topic = unique_topic("infra.check")
    producer = AIOKafkaProducer(
        **infrastructure.kafka_client(),
        enable_idempotence=True,
        acks="all",
    )
    await producer.start()
    await producer.send_and_wait(topic, "事故受付".encode(), key=b"CL-1")
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        **infrastructure.kafka_client(),
        group_id=f"g-{uuid.uuid4().hex[:6]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        record = await consumer.getone()
        await consumer.commit()
    finally:
        await consumer.stop()
    assert (record.key, record.value.decode()) == (b"CL-1", "事故受付")


async def test_postgres_gives_each_test_its_own_database(database_url) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        )
        encoding = await conn.fetchval("SHOW server_encoding")
    finally:
        await conn.close()
    assert (tables, encoding) == (0, "UTF8")


async def test_smtp_keeps_every_message_readable_as_json(infrastructure) -> None:
    marker = uuid.uuid4().hex
    message = EmailMessage()
    message["From"] = "noreply@claims.example.jp"
    message["To"] = "taro.yamada@example.jp"
    message["Subject"] = f"仮パスワードのお知らせ {marker}"
    message.set_content("仮パスワードでログインしてください。")
    await aiosmtplib.send(message, hostname=infrastructure.smtp_host, port=infrastructure.smtp_port)
    async with httpx.AsyncClient() as client:
        listing = (await client.get(f"{infrastructure.mail_web_url}/api/messages")).json()
    mine = [m for m in listing if marker in m["subject"]]
    assert len(mine) == 1
    assert mine[0]["to"] == ["taro.yamada@example.jp"]
    assert "仮パスワード" in mine[0]["text"]
