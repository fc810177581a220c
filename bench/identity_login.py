"""Log-ins per second on one core, next to the raw argon2id hash rate with the same parameters
on that same core, measured in the same run (the machine is shared and noisy: read the ratio).

    python bench/identity_login.py [--logins 200] [--concurrency 8]

Starts its own Kafka and PostgreSQL on free ports, runs identity (uvicorn, one process) pinned to
CPU 0, registers accounts through registration.events, then logs in through the HTTP API from a
client on the other core, where the broker and the database are pinned too (they had shared CPU 0
with identity, so the log-ins paid for their neighbours and the raw hash did not).

The headline is log-ins against raw argon2id one hash at a time. A second baseline, labelled as
such, hashes as many at once as the log-ins run (`--concurrency`) on the same core: what the
hardware makes of concurrent argon2id (19 MiB each: the cache is shared), raw and through
claims_shared.passwords' hashing turns, which is how identity runs them.
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

import httpx
from cores import idle_cpu_rate, pin_servers_apart, process_cpu_seconds

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
import sys, threading, time
from claims_shared.passwords import HASHER, hash_password
threads, make = int(sys.argv[1]), hash_password if sys.argv[2] == "turns" else HASHER.hash
make("warm-up")
counts = []
def hashing(until):
    n = 0
    while time.perf_counter() < until:
        make("correct horse battery staple"); n += 1
    counts.append(n)
started, cpu = time.perf_counter(), time.process_time()
workers = [threading.Thread(target=hashing, args=(started + 5,)) for _ in range(threads)]
for worker in workers: worker.start()
for worker in workers: worker.join()
n = sum(counts)
print(n / (time.perf_counter() - started), (time.process_time() - cpu) / n)
"""


def raw_hash_rate(threads: int = 1, through: str = "raw") -> tuple[float, float]:
    """Hashes per second of wall time, and seconds of CPU per hash (robust to the noise), with
    `threads` hashing at once on CPU 0: argon2-cffi's own call (`raw`), or claims_shared's
    `hash_password` (`turns`: at most one hash per core of the process at once)."""
    out = subprocess.run(
        [*PIN_TO_CORE_0, sys.executable, "-c", RAW_HASHES, str(threads), through],
        capture_output=True,
        text=True,
        check=True,
    )
    rate, cpu_per_hash = out.stdout.split()
    return float(rate), float(cpu_per_hash)


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
        pin_servers_apart([postgres.data_dir / "postmaster.pid", kafka.pid_file])
        hash_rate, hash_cpu = raw_hash_rate()
        idle = await idle_cpu_rate(service.pid)
        cpu_before, started = process_cpu_seconds(service.pid), time.perf_counter()
        rate, latencies = await log_ins(base, emails, total, concurrency)
        busy = process_cpu_seconds(service.pid) - cpu_before
        log_in_cpu = busy / total
        idle_share = idle * (time.perf_counter() - started) / total
        hash_rate_after, hash_cpu_after = raw_hash_rate()
        concurrent = raw_hash_rate(concurrency, "raw"), raw_hash_rate(concurrency, "turns")
    finally:
        service.terminate()
        service.wait(timeout=20)
        kafka.stop()
        postgres.stop()
        shutil.rmtree(state, ignore_errors=True)
    baseline = (hash_rate + hash_rate_after) / 2
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"argon2id (m=19 MiB, t=2, p=1) raw hashes/s on CPU 0, one at a time (the baseline): "
        f"{hash_rate:.1f} before, {hash_rate_after:.1f} after"
    )
    print(
        f"log-ins/s through the API, identity on CPU 0: {rate:.1f} "
        f"({total} log-ins, {concurrency} concurrent; p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms)"
    )
    print(f"ratio log-in rate / raw hash rate: {rate / baseline:.2f}")
    hash_cpu_mean = (hash_cpu + hash_cpu_after) / 2
    print(
        f"CPU per log-in (identity, all threads): {log_in_cpu * 1000:.1f} ms, of which "
        f"{idle_share * 1000:.1f} ms its idle workers' (consumer, projection, relay); per raw "
        f"hash {hash_cpu_mean * 1000:.1f} ms; ratio by CPU: {hash_cpu_mean / log_in_cpu:.2f}"
    )
    (raw_rate, raw_cpu), (turns_rate, turns_cpu) = concurrent
    print(
        f"second baseline, {concurrency} hashes at once on CPU 0: raw {raw_rate:.1f}/s "
        f"({raw_cpu * 1000:.1f} ms of CPU a hash); through claims_shared's hashing turns "
        f"{turns_rate:.1f}/s ({turns_cpu * 1000:.1f} ms); log-ins / raw at that concurrency: "
        f"{rate / raw_rate:.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--logins", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.logins, arguments.concurrency))
