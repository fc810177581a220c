"""The whole product for a real browser: the four services over real HTTP on one clock the test
moves, the nginx gateway serving web/ in front of them, the session's Kafka, PostgreSQL and SMTP,
and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from playwright.sync_api import Browser, Page, sync_playwright

from claim_status.main import build as build_claim_status
from claim_status.read_model import ClaimReadModel
from claim_status_harness import ClaimLog, claim_status_settings, reported
from claims_shared.events import (
    AdjusterUpdate,
    PolicyRecorded,
    UserRegistered,
    encode,
    new_envelope,
    topics,
)
from claims_shared.passwords import hash_password
from devinfra import kafka_clients
from devinfra.gateway import LocalGateway
from devinfra.object_store import ObjectStore
from devinfra.paths import free_port, local_dir, repo_root
from devinfra.testing import ManualClock, publish, serve_http, topic_prefix
from identity.main import build as build_identity
from identity_harness import identity_settings
from notifier.main import build as build_notifier
from notifier_harness import notifier_settings
from registration.main import build as build_registration
from registration.typing_rules import policy_number as canonical_policy_number
from registration_harness import policy_record, registration_settings

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        raise RuntimeError("Chromium is missing: run `make setup` (Debian's 'chromium' package)")
    return found


def artifacts_dir() -> Path:
    """Screenshots of every journey, kept after the run (CI keeps .local/test-artifacts)."""
    path = Path(os.environ.get("TEST_ARTIFACTS", local_dir() / "test-artifacts")) / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Product:
    url: str
    bootstrap: str
    prefix: str
    mail_web_url: str
    clock: ManualClock
    databases: dict[str, str] = field(repr=False)
    services: dict[str, str] = field(default_factory=dict)  # each service's own URL

    def wait_for(self, service: str, query: str, *args: Any, timeout: float = 30.0) -> Any:
        """The first row `query` finds in a service's database: what was published has arrived."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.databases[service], autocommit=True) as conn:
            while time.monotonic() < deadline:
                row = conn.execute(query, args).fetchone()
                if row:
                    return row
                time.sleep(0.1)
        raise AssertionError(f"{service}: nothing for {query} {args} within {timeout}s")

    def run(self, coroutine: Any) -> Any:
        """On a thread of its own: Playwright's sync API owns this thread's event loop."""
        with ThreadPoolExecutor(1) as worker:
            return worker.submit(asyncio.run, coroutine).result()

    def record_policy(self, **fields: Any) -> PolicyRecorded:
        """As the policy system publishes it (`fields` as policy_record takes them);
        registration's view has it a moment later."""
        number = f"B-2026-{uuid.uuid4().int % 10**6:06d}"
        policy = policy_record(number, **fields)
        self.run(
            publish(
                self.bootstrap,
                self.prefix + topics.POLICY_RECORDS,
                number,
                encode(new_envelope(policy, producer="policy-admin")),
            )
        )
        self.wait_for(
            "registration",
            "SELECT 1 FROM policies WHERE policy_number = %s",
            canonical_policy_number(number),
        )
        return policy

    def customer(self, password: str = "a good passphrase") -> UserRegistered:
        """An account as registration creates it (for journeys that start at log-in)."""
        event = UserRegistered(
            user_id=uuid.uuid4(),
            customer_id=f"C{uuid.uuid4().hex[:8]}",
            email=f"web.{uuid.uuid4().hex[:8]}@example.jp",
            policy_numbers=[f"B-2026-{uuid.uuid4().int % 10**6:06d}"],
            password_hash=hash_password(password),
            must_change_password=False,
            registration_method="procedure_code",
        )
        self.run(
            publish(
                self.bootstrap,
                self.prefix + topics.REGISTRATION_EVENTS,
                event.customer_id,
                encode(new_envelope(event, producer="registration")),
            )
        )
        self.wait_for("identity", "SELECT 1 FROM account_emails WHERE email = %s", event.email)
        return event

    def adjuster_sends(self, *updates: AdjusterUpdate) -> None:
        async def send() -> None:
            for update in updates:
                await publish(
                    self.bootstrap,
                    self.prefix + topics.ADJUSTER_UPDATES,
                    update.claim_id,
                    encode(new_envelope(update, producer="claims-core")),
                )

        self.run(send())

    def accident_for(self, customer_id: str, policy_number: str) -> ClaimLog:
        """An accident reported, a handler assigned, a document asked of the customer."""
        log = ClaimLog()
        self.adjuster_sends(
            log.next(
                "claim_opened",
                self.clock,
                **reported(customer_id, policy_number),
            ),
            log.next(
                "handler_assigned",
                self.clock,
                name="佐藤 健",
                office="東京損害サービス第一課",
                phone="03-1234-5678",
            ),
            log.next(
                "customer_action_requested",
                self.clock,
                action_id="A1",
                description="修理見積書をお送りください",
                due_date="2026-12-10",
            ),
            log.next(
                "coverage_updated", self.clock, coverage="property_damage", status="investigating"
            ),
        )
        self.visible(log)
        return log

    def visible(self, log: ClaimLog) -> None:
        """Until the customers' read model has folded the claim's last update."""
        self.wait_for(
            "claim_status",
            f"SELECT 1 FROM {ClaimReadModel().table} WHERE claim_id = %s "
            "AND jsonb_array_length(detail->'timeline') >= %s",
            log.claim_id,
            log.sequence,
        )

    def mails_to(self, address: str) -> list[dict[str, Any]]:
        # The shared catcher's listing holds every test's mail (megabytes, seconds to answer on
        # a busy machine): given the time the notifier harness gives it, not httpx's 5 s.
        listing = httpx.get(f"{self.mail_web_url}/api/messages", timeout=60).json()
        return [mail for mail in listing if address in mail["to"]]


@contextlib.contextmanager
def _databases(postgres_url: str, count: int) -> Iterator[list[str]]:
    names = [f"test_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [postgres_url.rsplit("/", 1)[0] + "/" + name for name in names]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _create_topics(bootstrap: str, prefix: str) -> None:
    """As the platform does before services start (Strimzi KafkaTopic in deploy/k8s)."""
    admin = AIOKafkaAdminClient(**kafka_clients.client(bootstrap))
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(prefix + name, num_partitions=3, replication_factor=1) for name in topics.ALL]
        )
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def document_servers(clamd_address: str, object_store: ObjectStore) -> Iterator[dict[str, str]]:
    """claim-status's clamd and object store (the session's, or the plugin's own), with a bucket
    for this module's customers' documents."""
    bucket = f"test-web-{uuid.uuid4().hex[:12]}"
    object_store.create_bucket(bucket)
    yield {
        "object_store_url": object_store.url,
        "object_store_bucket": bucket,
        "object_store_access_key": object_store.access_key,
        "object_store_secret_key": object_store.secret_key,
        "clamd_address": clamd_address,
    }
    object_store.remove_bucket(bucket)


def passkey_origin(gateway_port: int) -> str:
    """Where the web front can use passkeys: browsers refuse an IP address as a relying-party
    id, so the gateway's pages are opened as http://localhost:<port> (IDENTITY_WEBAUTHN_RP_ID's
    development default, localhost) for them."""
    return f"http://localhost:{gateway_port}"


@pytest.fixture(scope="module")
def product(infrastructure: Any, document_servers: dict[str, str]) -> Iterator[Product]:
    prefix = topic_prefix()
    clock = ManualClock()
    gateway_port = free_port()  # known before identity starts: passkeys' origin names it
    asyncio.run(_create_topics(infrastructure.kafka_bootstrap_servers, prefix))
    with contextlib.ExitStack() as stack:
        identity_db, registration_db, claims_db, notifier_db = stack.enter_context(
            _databases(infrastructure.postgres_url, 4)
        )
        identity = stack.enter_context(
            serve_http(
                build_identity(
                    identity_settings(
                        infrastructure,
                        identity_db,
                        kafka_topic_prefix=prefix,
                        throttle_after_failures=20,
                        lock_after_failures=40,
                        webauthn_origins=passkey_origin(gateway_port),
                    ),
                    clock=clock,
                )
            )
        )
        registration = stack.enter_context(
            serve_http(
                build_registration(
                    registration_settings(infrastructure, registration_db, prefix), clock=clock
                )
            )
        )
        claims = stack.enter_context(
            serve_http(
                build_claim_status(
                    claim_status_settings(
                        infrastructure,
                        claims_db,
                        kafka_topic_prefix=prefix,
                        identity_jwks_url=f"{identity}/.well-known/jwks.json",
                        **document_servers,
                    ),
                    clock=clock,
                )
            )
        )
        notifier = stack.enter_context(
            serve_http(
                build_notifier(
                    notifier_settings(
                        infrastructure,
                        notifier_db,
                        kafka_topic_prefix=prefix,
                        identity_jwks_url=f"{identity}/.well-known/jwks.json",
                        # the browser tests' stand-in push endpoints are on 127.0.0.1
                        push_allow_loopback_for_tests=True,
                    ),
                    clock=clock,
                )
            )
        )
        state = local_dir() / f"test-web-{uuid.uuid4().hex[:8]}"  # nginx's workers read it
        stack.callback(shutil.rmtree, state, True)
        gateway = LocalGateway(
            state,
            {
                "identity": identity.removeprefix("http://"),
                "registration": registration.removeprefix("http://"),
                "claim_status": claims.removeprefix("http://"),
                "notifier": notifier.removeprefix("http://"),
            },
            web_root=repo_root() / "web",
            sensitive_rate="600r/m",
            sensitive_burst=100,
            port=gateway_port,
        ).start()
        stack.callback(gateway.stop)
        yield Product(
            gateway.url,
            infrastructure.kafka_bootstrap_servers,
            prefix,
            infrastructure.mail_web_url,
            clock,
            {
                "identity": identity_db,
                "registration": registration_db,
                "claim_status": claims_db,
                "notifier": notifier_db,
            },
            {
                "identity": identity,
                "registration": registration,
                "claim_status": claims,
                "notifier": notifier,
            },
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path())
        yield launched
        launched.close()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser profile per journey, at phone or desktop width; a screenshot at the end."""
    yield from _profile(browser, request, request.param)


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser profile at 360 px only: for what matters most on a phone."""
    yield from _profile(browser, request, PHONE)


@pytest.fixture
def phone_390(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser profile at 390 x 844 (a current iPhone), the width of the screenshots
    new pages are reviewed at."""
    yield from _profile(browser, request, {"width": 390, "height": 844})


def _profile(browser: Browser, request: pytest.FixtureRequest, viewport: Any) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
    context.set_default_timeout(20_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    name = request.node.name.replace("/", "_").replace("[", "-").rstrip("]")
    opened.screenshot(path=artifacts_dir() / f"{name}.png", full_page=True)
    context.close()
    assert not errors, f"the page threw: {errors}"
