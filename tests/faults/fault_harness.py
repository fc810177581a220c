"""The whole back end as it runs in production, for breaking it: the four services as OS
processes (so kill -9 is real), on a Kafka broker, a PostgreSQL server and an SMTP server of
this suite's own (so they can be restarted), under a steady mixed load that records every answer.
Only 127.0.0.1; every load loop is bounded by time and stops."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from claims_shared.events import AdjusterUpdate, encode, new_envelope, topics
from devinfra import kafka_clients
from devinfra.kafka_users import SERVICE_PRINCIPALS
from devinfra.paths import free_port, local_dir
from devinfra.stack import LocalStack, claim_status_env
from registration_harness import policy_record

SERVICES = {  # module: env prefix
    "identity": "IDENTITY",
    "registration": "REGISTRATION",
    "claim_status": "CLAIM_STATUS",
    "notifier": "NOTIFIER",
}
PASSWORD = "a long enough passphrase 2026"


@dataclass
class Answer:
    at: float  # sent
    ended: float  # answered, or given up on
    route: str
    status: int  # 599: no answer at all (connection refused, time-out)


@dataclass
class Product:
    stack: LocalStack
    root: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        stack = self.stack.env()
        env = {**os.environ, **stack, "MAINTENANCE_WINDOWS": "", "LOG_LEVEL": "INFO"}
        env.update(claim_status_env(stack))  # this stack's clamd and object store, as `make up`
        for module, prefix in SERVICES.items():
            env[f"{prefix}_HTTP_PORT"] = str(self.ports[module])
        env["IDENTITY_JWKS_URL"] = f"{self.url('identity')}/.well-known/jwks.json"
        env["IDENTITY_THROTTLE_AFTER_FAILURES"] = "1000"
        env["IDENTITY_LOCK_AFTER_FAILURES"] = "2000"
        env["CLAIM_STATUS_SWEEP_INTERVAL_SECONDS"] = "1"
        return env

    def url(self, module: str) -> str:
        return f"http://127.0.0.1:{self.ports[module]}"

    def log_file(self, module: str) -> Path:
        return self.root / "logs" / f"{module}.log"

    def start(self, module: str) -> None:
        """The service as `make up` runs it, as its own Kafka principal."""
        self.log_file(module).parent.mkdir(parents=True, exist_ok=True)
        bootstrap, principal = self.stack.kafka.bootstrap_servers, SERVICE_PRINCIPALS[module]
        self.processes[module] = subprocess.Popen(
            [sys.executable, "-m", module],
            env={**self.env, **kafka_clients.process_env(bootstrap, principal)},
            stdout=self.log_file(module).open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, module: str) -> None:
        """SIGKILL: no shutdown, no final commit, as when a node dies."""
        process = self.processes[module]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    async def ready(self, module: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=3) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url(module)}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.3)
        raise TimeoutError(f"{module} not ready within {timeout}s; see {self.log_file(module)}")

    async def readiness(self, module: str) -> int:
        async with httpx.AsyncClient(timeout=5) as client:
            try:
                return (await client.get(f"{self.url(module)}/readyz")).status_code
            except httpx.HTTPError:
                return 599

    def stop_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_product() -> Iterator[Product]:
    root = local_dir() / f"faults-{uuid.uuid4().hex[:8]}"
    stack = LocalStack(root)
    stack.start()
    product = Product(stack, root, {module: free_port() for module in SERVICES})
    try:
        asyncio.run(_create_topics(stack.kafka.bootstrap_servers))
        for module in SERVICES:
            product.start(module)
        yield product
    finally:
        product.stop_all()
        stack.stop()
        if os.environ.get("KEEP_FAULT_STATE") is None:
            shutil.rmtree(root, ignore_errors=True)


async def _create_topics(bootstrap: str) -> None:
    admin = AIOKafkaAdminClient(**kafka_clients.client(bootstrap))
    await admin.start()
    try:
        names = [*topics.ALL, *(topics.dlq(t) for t in topics.ALL)]
        existing = set(await admin.list_topics())  # a secured stack made them as the operator
        await admin.create_topics([NewTopic(n, 3, 1) for n in names if n not in existing])
    finally:
        await admin.close()


@dataclass
class Load:
    """Steady mixed load: adjuster updates on Kafka, simple and new registrations, log-ins and
    accident-list reads over HTTP. Keeps what was accepted, and every answer with its time."""

    product: Product
    customers: list[tuple[str, str, str]] = field(default_factory=list)  # customer, email, policy
    sent: dict[str, list[AdjusterUpdate]] = field(default_factory=dict)  # claim → acked updates
    registered: list[str] = field(default_factory=list)  # emails: 201 (procedure code)
    requested: list[str] = field(default_factory=list)  # emails: 202 (details, a mail expected)
    answers: list[Answer] = field(default_factory=list)
    _policies: list[tuple[str, str]] = field(default_factory=list)  # (policy, kind)

    async def prepare(self, customers: int = 6, policies: int = 200) -> None:
        """Policies to register with, and customers (with accounts) whose claims are updated."""
        producer = await self._producer("policy-system")
        try:
            for n in range(policies):
                number = f"F-{uuid.uuid4().int % 10**8:08d}"
                kind = "code" if n % 2 else "details"
                policy = policy_record(  # hashing a code costs argon2 time: only where used
                    number,
                    code="483921" if kind == "code" else None,
                    state="issued" if kind == "code" else "masked",
                    full_name="佐藤 花子",
                    born=date(1985, 4, 1),
                )
                await producer.send_and_wait(
                    topics.POLICY_RECORDS,
                    encode(new_envelope(policy, producer="policy-admin")),
                    key=number.encode(),
                )
                self._policies.append((number, kind))
        finally:
            await producer.stop()
        async with httpx.AsyncClient(base_url=self.product.url("registration"), timeout=10) as c:
            for _ in range(customers):
                registered = await self._register_simple(c)
                if registered:
                    number, email = registered
                    self.customers.append((await self._customer_of(number), email, number))

    async def _producer(self, principal: str) -> AIOKafkaProducer:
        """A producer acting as the system that writes the topic (`principal`)."""
        producer = AIOKafkaProducer(
            **kafka_clients.client(self.product.stack.kafka.bootstrap_servers, principal),
            enable_idempotence=True,
            acks="all",
            request_timeout_ms=60000,
        )
        await producer.start()
        return producer

    def _record(self, started: float, route: str, status: int) -> None:
        self.answers.append(Answer(started, time.monotonic(), route, status))

    async def _call(
        self, client: httpx.AsyncClient, method: str, route: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError:
            self._record(started, route, 599)
            return None
        self._record(started, route, response.status_code)
        return response

    async def _register_simple(self, client: httpx.AsyncClient) -> tuple[str, str] | None:
        """Simple registration of the next policy; (policy number, email) once accepted."""
        number = self._next_policy("code")
        if number is None:
            return None
        started = await self._call(
            client,
            "POST",
            "POST /registrations/procedure-code",
            "/api/v1/registrations/procedure-code",
            json={"policy_number": number, "procedure_code": "483921"},
        )
        if started is None or started.status_code != 201:
            return None
        body = started.json()
        email = f"load.{uuid.uuid4().hex[:10]}@example.jp"
        created = await self._call(
            client,
            "POST",
            "POST /registrations/{id}/account",
            f"/api/v1/registrations/{body['registration_id']}/account",
            json={"email": email, "password": PASSWORD},
            headers={"Authorization": f"Bearer {body['registration_token']}"},
        )
        if created is None or created.status_code != 201:
            return None
        return number, email

    async def _customer_of(self, number: str) -> str:
        """The customer registration's view gives the policy (its copy of policy.records)."""
        conn = await asyncpg.connect(self.product.stack.postgres.url("registration"))
        try:
            for _ in range(100):
                found = await conn.fetchval(
                    "SELECT customer_id FROM policies WHERE policy_number = $1",
                    number.replace("-", ""),
                )
                if found:
                    return str(found)
                await asyncio.sleep(0.1)
        finally:
            await conn.close()
        raise AssertionError(f"no customer for {number}")

    def _next_policy(self, kind: str) -> str | None:
        for index, (number, policy_kind) in enumerate(self._policies):
            if policy_kind == kind:
                del self._policies[index]
                return number
        return None

    async def run(self, seconds: float) -> None:
        """All the load at once for `seconds`; every loop stops at the deadline."""
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            self._updates(deadline),
            self._registrations(deadline),
            self._log_ins_and_reads(deadline),
        )

    async def _updates(self, deadline: float, per_second: float = 20) -> None:
        producer = await self._producer("adjusters")
        try:
            while time.monotonic() < deadline:
                customer = self.customers[len(self.sent) % len(self.customers)][0]
                claim_id = f"CL-F-{uuid.uuid4().hex[:8]}"
                updates = [self._update(claim_id, 1, "claim_opened", customer)]
                updates += [self._update(claim_id, n, "note_added", customer) for n in range(2, 6)]
                self.sent[claim_id] = []
                for update in updates:
                    with contextlib.suppress(Exception):  # a broker restart: retried by aiokafka
                        await producer.send_and_wait(
                            topics.ADJUSTER_UPDATES,
                            encode(new_envelope(update, producer="claims-core")),
                            key=claim_id.encode(),
                        )
                        self.sent[claim_id].append(update)
                        await asyncio.sleep(1 / per_second)
                        continue
                    break  # not acknowledged: later updates of this claim would wait forever
        finally:
            await producer.stop()

    @staticmethod
    def _update(claim_id: str, sequence: int, kind: str, customer: str) -> AdjusterUpdate:
        data: dict[str, Any] = {"text": f"経過 {sequence}"}
        if kind == "claim_opened":
            data = {
                "customer_id": customer,
                "policy_number": "F1",
                "accident_date": "2026-11-20",
                "summary": "駐車場での接触事故",
            }
        return AdjusterUpdate.of(
            update_id=uuid.uuid4(),
            claim_id=claim_id,
            sequence=sequence,
            occurred_at=datetime.now(UTC),
            adjuster_id="ADJ-F",
            type=kind,  # type: ignore[arg-type]
            data=data,
        )

    async def _registrations(self, deadline: float) -> None:
        async with httpx.AsyncClient(base_url=self.product.url("registration"), timeout=10) as c:
            while time.monotonic() < deadline:
                if registered := await self._register_simple(c):
                    self.registered.append(registered[1])
                number = self._next_policy("details")
                if number is not None:
                    email = f"mail.{uuid.uuid4().hex[:10]}@example.jp"
                    answer = await self._call(
                        c,
                        "POST",
                        "POST /registrations/details",
                        "/api/v1/registrations/details",
                        json={
                            "full_name": "佐藤 花子",
                            "date_of_birth": "1985-04-01",
                            "policy_number": number,
                            "email": email,
                        },
                    )
                    if answer is not None and answer.status_code == 202:
                        self.requested.append(email)
                await asyncio.sleep(0.5)

    async def _log_ins_and_reads(self, deadline: float) -> None:
        identity = httpx.AsyncClient(base_url=self.product.url("identity"), timeout=10)
        claims = httpx.AsyncClient(base_url=self.product.url("claim_status"), timeout=10)
        async with identity, claims:
            n = 0
            while time.monotonic() < deadline:
                _, email, _ = self.customers[n % len(self.customers)]
                n += 1
                session = await self._call(
                    identity,
                    "POST",
                    "POST /sessions",
                    "/api/v1/sessions",
                    json={"email": email, "password": PASSWORD},
                )
                if session is not None and session.status_code == 200:
                    token = session.json()["access_token"]
                    for _ in range(3):
                        await self._call(
                            claims,
                            "GET",
                            "GET /me/accidents",
                            "/api/v1/me/accidents",
                            headers={"Authorization": f"Bearer {token}"},
                        )
                await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def outage(windows: list[tuple[float, float]]) -> AsyncIterator[None]:
    """Marks the time a fault lasts, up to the broken part being ready again."""
    started = time.monotonic()
    try:
        yield
    finally:
        windows.append((started, time.monotonic()))


def server_errors_outside(answers: list[Answer], windows: list[tuple[float, float]]) -> list[Any]:
    """5xx and unanswered calls that did not overlap an outage (a call in flight when the
    process died counts as inside it; 5 s of settling after)."""
    return [
        (a.route, a.status)
        for a in answers
        if a.status >= 500
        and not any(a.at <= end + 5 and a.ended >= start for start, end in windows)
    ]


def mails_to(product: Product) -> dict[str, int]:
    listing = httpx.get(f"{product.stack.mail.web_url}/api/messages", timeout=10).json()
    counts: dict[str, int] = {}
    for mail in listing:
        for address in mail["to"] if isinstance(mail["to"], list) else [mail["to"]]:
            counts[address] = counts.get(address, 0) + 1
    return counts


def log_lines(product: Product) -> str:
    return "\n".join(product.log_file(module).read_text(errors="replace") for module in SERVICES)
