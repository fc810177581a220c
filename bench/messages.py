"""The message board (担当者とのメッセージ): a customer posts to the handler and reads the thread
back, as the web front does, next to baselines measured in the same run on the same service: the
accident detail read with the same token, and a bare FastAPI endpoint.

    python bench/messages.py [--customers 200] [--rounds 1000] [--concurrency 16]

Starts its own Kafka and PostgreSQL on 127.0.0.1 and claim-status as a process (a customer's
hourly allowance raised out of the way), opens one claim per customer through
claims.adjuster-updates, then each round posts a message and reads the thread with httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys

import asyncpg
import httpx
from claims_ingest import (
    closed_loop,
    customer_token,
    distinct_ports,
    request_rate,
    serve_bare,
    serve_jwks,
    service_ready,
    stop_all,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typhoon_day import claim_id, customer_id, forget_shared_broker, open_claims

from devinfra import kafka_clients
from devinfra.kafka import LocalKafka
from devinfra.paths import local_dir, port_answers
from devinfra.postgres import LocalPostgres
from devinfra.testing import eventually


async def post_and_read(
    base: str, tokens: list[str], rounds: int, concurrency: int
) -> tuple[float, float, float]:
    """Rounds of POST a message + GET the thread, each round timed as one."""

    async def post_then_read(client: httpx.AsyncClient, n: int) -> None:
        n %= len(tokens)
        path = f"{base}/api/v1/me/accidents/{claim_id(n)}/messages"
        headers = {"Authorization": f"Bearer {tokens[n]}"}
        posted = await client.post(
            path, json={"text": "修理工場の見積書を送りました。"}, headers=headers
        )
        assert posted.status_code == 201, posted.text
        thread = await client.get(path, headers=headers)
        assert thread.status_code == 200, thread.text

    return await closed_loop(rounds, concurrency, post_then_read)


async def main(customers: int, rounds: int, concurrency: int) -> None:
    forget_shared_broker()
    state = local_dir() / f"bench-{os.getpid()}"
    postgres = LocalPostgres(state / "postgres").start()
    kafka = LocalKafka(state / "kafka").start()
    children: list[subprocess.Popen[bytes]] = []
    try:
        key = Ed25519PrivateKey.generate()
        jwks_port, port, bare_port = distinct_ports(3)
        children.append(serve_jwks(key, jwks_port))
        env = {
            **os.environ,
            "CLAIM_STATUS_DATABASE_URL": postgres.url(),
            **kafka_clients.process_env(kafka.bootstrap_servers, "claim-status"),
            "CLAIM_STATUS_HTTP_PORT": str(port),
            "CLAIM_STATUS_MESSAGES_PER_HOUR": "1000000",
            "MAINTENANCE_WINDOWS": "",
            "LOG_LEVEL": "WARNING",
            "IDENTITY_JWKS_URL": f"http://127.0.0.1:{jwks_port}/.well-known/jwks.json",
        }
        children.append(subprocess.Popen([sys.executable, "-m", "claim_status"], env=env))
        base = f"http://127.0.0.1:{port}"
        await eventually(lambda: service_ready(base), timeout=90)
        await asyncio.sleep(3)  # the consumer has joined its group
        await open_claims(kafka.bootstrap_servers, customers)

        async def opened() -> bool:
            conn = await asyncpg.connect(postgres.url())
            try:
                done = await conn.fetchval("SELECT coalesce(sum(sequence), 0) FROM accidents_v1")
            except asyncpg.UndefinedTableError:
                return False
            finally:
                await conn.close()
            return bool(done == 3 * customers)

        await eventually(opened, timeout=600, interval=0.5)
        tokens = [customer_token(key, customer_id(n)) for n in range(customers)]
        children.append(serve_bare(key, bare_port))
        await eventually(lambda: asyncio.to_thread(port_answers, bare_port))
        await post_and_read(base, tokens, 50, concurrency)  # warm-up
        bare = await request_rate(
            f"http://127.0.0.1:{bare_port}/api/v1/me/accidents",
            {"Authorization": f"Bearer {tokens[0]}"},
            rounds,
            concurrency,
        )
        detail = await request_rate(
            f"{base}/api/v1/me/accidents/{claim_id(0)}",
            {"Authorization": f"Bearer {tokens[0]}"},
            rounds,
            concurrency,
        )
        board = await post_and_read(base, tokens, rounds, concurrency)
    finally:
        stop_all(children, [kafka, postgres], state)
    print(f"message board: {rounds} rounds of post + read the thread, {concurrency} at a time")
    print(
        f"  post + read: {board[0]:.0f} rounds/s, p50 {board[1] * 1000:.0f} ms, "
        f"p99 {board[2] * 1000:.0f} ms"
    )
    print(
        f"  baseline accident detail, same service and token: {detail[0]:.0f} req/s "
        f"(a round is {detail[0] / board[0]:.1f} detail reads' worth); "
        f"bare FastAPI endpoint {bare[0]:.0f} req/s (ratio of rounds {board[0] / bare[0]:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.customers, arguments.rounds, arguments.concurrency))
