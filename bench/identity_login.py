"""Log-ins per second on one core, next to the raw argon2id hash rate with the same parameters
on that same core, measured in the same run (the machine is shared and noisy: read the ratio).

    python bench/identity_login.py [--logins 200] [--concurrency 8]

Starts its own Kafka and PostgreSQL on free ports, runs identity (uvicorn, one process) pinned to
CPU 0, registers accounts through registration.events, then logs in through the HTTP API from a
client on the other core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from claims_shared.events import UserRegistered, encode, new_envelope
from claims_shared.passwords import hash_password
from devinfra import kafka_clients
from devinfra.kafka import LocalKafka
from devinfra.paths import free_port, local_dir, port_answers
from devinfra.postgres import LocalPostgres
from devinfra.testing import eventually, publish

PASSWORD = "correct horse battery staple"
PIN_TO_CORE_0 = ["taskset", "-c", "0"] if shutil.which("taskset") else []

RAW_HASHES = """
import time
from claims_shared.passwords import hash_password
hash_password("warm-up")
started, cpu = time.perf_counter(), time.process_time(); n = 0
while time.perf_counter() - started < 5:
    hash_password("correct horse battery staple"); n += 1
print(n / (time.perf_counter() - started), (time.process_time() - cpu) / n)
"""


def raw_hash_rate() -> tuple[float, float]:
    """Hashes per second of wall time, and seconds of CPU per hash (robust to the noise)."""
    out = subprocess.run(
        [*PIN_TO_CORE_0, sys.executable, "-c", RAW_HASHES],
        capture_output=True,
        text=True,
        check=True,
    )
    rate, cpu_per_hash = out.stdout.split()
    return float(rate), float(cpu_per_hash)


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of the process, all its threads (identity hashes in a thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def register(bootstrap: str, count: int) -> list[str]:
    emails = []
    password_hash = hash_password(PASSWORD)
    for _ in range(count):
        event = UserRegistered(
            user_id=uuid.uuid4(),
            customer_id=f"C{uuid.uuid4().hex[:8]}",
            email=f"bench.{uuid.uuid4().hex[:10]}@example.jp",
            policy_numbers=["A1"],
            password_hash=password_hash,
            must_change_password=False,
            registration_method="procedure_code",
        )
        await publish(
            bootstrap,
            "registration.events",
            event.customer_id,
            encode(new_envelope(event, producer="bench")),
        )
        emails.append(event.email)
    return emails


async def log_ins(
    base: str, emails: list[str], total: int, concurrency: int
) -> tuple[float, list[float]]:
    """Each account keeps the device id its first log-in was given, as the app does (and a
    browser, by cookie): a customer logs in again from the phone they used, so the load is of
    known devices; without it every log-in was a new device and saved a notice as well."""
    latencies: list[float] = []
    queue = [emails[i % len(emails)] for i in range(total)]
    devices: dict[str, str] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            email = queue.pop()
            credentials = {"email": email, "password": PASSWORD}
            if email in devices:
                credentials["device_id"] = devices[email]
            started = time.perf_counter()
            response = await client.post("/api/v1/sessions", json=credentials)
            assert response.status_code == 200, response.text
            latencies.append(time.perf_counter() - started)
            devices[email] = response.json()["device_id"]

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return total / elapsed, sorted(latencies)


async def main(total: int, concurrency: int) -> None:
    state = local_dir() / f"bench-{os.getpid()}"
    postgres = LocalPostgres(state / "postgres").start()
    kafka = LocalKafka(state / "kafka", secured=kafka_clients.auth_on()).start()
    port = free_port()
    env = {
        **os.environ,
        "IDENTITY_DATABASE_URL": postgres.url(),
        **kafka_clients.process_env(kafka.bootstrap_servers, "identity"),
        "IDENTITY_HTTP_PORT": str(port),
        "MAINTENANCE_WINDOWS": "",
        "LOG_LEVEL": "WARNING",
        "IDENTITY_THROTTLE_AFTER_FAILURES": "1000",
        "IDENTITY_LOCK_AFTER_FAILURES": "1000",
    }
    service = subprocess.Popen([*PIN_TO_CORE_0, sys.executable, "-m", "identity"], env=env)
    try:
        await eventually(lambda: asyncio.to_thread(port_answers, port), timeout=60)
        base = f"http://127.0.0.1:{port}"
        emails = await register(kafka.bootstrap_servers, 20)

        async def last_can_log_in() -> bool:
            async with httpx.AsyncClient(base_url=base) as client:
                response = await client.post(
                    "/api/v1/sessions", json={"email": emails[-1], "password": PASSWORD}
                )
            return response.status_code == 200

        await eventually(last_can_log_in, timeout=60, interval=0.5)
        hash_rate, hash_cpu = raw_hash_rate()
        cpu_before = process_cpu_seconds(service.pid)
        rate, latencies = await log_ins(base, emails, total, concurrency)
        log_in_cpu = (process_cpu_seconds(service.pid) - cpu_before) / total
        hash_rate_after, hash_cpu_after = raw_hash_rate()
    finally:
        service.terminate()
        service.wait(timeout=20)
        kafka.stop()
        postgres.stop()
        shutil.rmtree(state, ignore_errors=True)
    baseline = (hash_rate + hash_rate_after) / 2
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"argon2id (m=19 MiB, t=2, p=1) raw hashes/s on CPU 0: {hash_rate:.1f} before, "
        f"{hash_rate_after:.1f} after"
    )
    print(
        f"log-ins/s through the API, identity on CPU 0: {rate:.1f} "
        f"({total} log-ins, {concurrency} concurrent; p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms)"
    )
    print(f"ratio log-in rate / raw hash rate: {rate / baseline:.2f}")
    hash_cpu_mean = (hash_cpu + hash_cpu_after) / 2
    print(
        f"CPU per log-in (identity, all threads): {log_in_cpu * 1000:.1f} ms; per raw hash "
        f"{hash_cpu_mean * 1000:.1f} ms; ratio by CPU: {hash_cpu_mean / log_in_cpu:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.logins, arguments.concurrency))
