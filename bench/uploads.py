"""Customers' uploads through claim-status (scan, type check, photo redrawn without metadata,
object store, Document saved), next to the parts measured alone in the same run on the same
bytes at the same concurrency: a raw PUT of the bytes to the object store (aiobotocore), clamd's
INSTREAM alone, and the photo redraw alone (the machine is shared and noisy: read the ratios).

    python bench/uploads.py [--files 60] [--concurrency 4] [--pdf-every 3]

Starts its own Kafka, PostgreSQL, clamd (the project's signature database) and S3Proxy on free
ports, claim-status as a process (uvicorn, every worker), opens one claim of one customer with
four requests through claims.adjuster-updates, then sends the files with a customer's token: a
realistic mix of 12-megapixel phone photos (about 2.2 MB JPEG, EXIF with GPS and a sideways
orientation) and 300 kB scanned PDFs, every file's bytes distinct (clamd caches clean files).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiobotocore.session import get_session
from claims_ingest import (
    busy_cpu_seconds,
    claim_status_env,
    customer_token,
    distinct_ports,
    in_sequence,
    produce,
    serve_jwks,
    service_ready,
    stop_all,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageFilter

from claim_status.document_ports import ClamdScanner
from claim_status.uploads import without_metadata
from claims_shared.events import AdjusterUpdate
from devinfra import kafka_clients
from devinfra.clamd import LocalClamd
from devinfra.kafka import LocalKafka
from devinfra.object_store import LocalObjectStore, ObjectStore
from devinfra.paths import local_dir
from devinfra.postgres import LocalPostgres
from devinfra.processes import read_pid
from devinfra.testing import eventually

# The EXIF a phone writes, as the claim-status tests' sample photos carry it.
sys.path.append(str(Path(__file__).resolve().parents[1] / "services" / "claim-status" / "tests"))
from document_samples import phone_exif

BUCKET = "claim-documents"
RAW_BUCKET = "bench-raw-puts"
CUSTOMER = "C-BENCH-0001"
CLAIM = "CL-BENCH-000001"
ACTIONS = ("photos-front", "photos-rear", "estimate", "licence")

Timed = tuple[float, list[float]]  # elapsed seconds, each file's latency (sorted)


def photo() -> bytes:
    """A 4032 × 3024 photo (a 12-megapixel phone camera) of about 2.2 MB at quality 85, with
    the EXIF a phone writes (make, a sideways orientation, GPS)."""
    width, height = 4032, 3024
    coarse = Image.frombytes("L", (width // 8, height // 8), os.urandom(width * height // 64))
    coarse = coarse.resize((width, height), Image.Resampling.BICUBIC)
    gradient = Image.linear_gradient("L").resize((width, height))
    picture = Image.merge("RGB", (coarse, gradient, Image.blend(coarse, gradient, 0.5)))
    grain = Image.frombytes("L", (width, height), os.urandom(width * height))
    mask = grain.point(lambda v: 255 if v > 130 else 0)
    picture = Image.composite(picture, picture.filter(ImageFilter.BoxBlur(1)), mask)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85, exif=phone_exif("BenchCam"))
    return out.getvalue()


def scanned_pdf() -> bytes:
    """An A4 page scanned at 150 dpi in grey, about 300 kB: a JPEG inside a PDF, as a
    multifunction printer or a phone's scanner app makes it."""
    width, height = 1240, 1754
    page = Image.frombytes("L", (width // 2, height // 2), os.urandom(width * height // 4))
    page = page.resize((width, height), Image.Resampling.BILINEAR).point(lambda v: 160 + v // 3)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=150.0, quality=75)
    return out.getvalue()


def distinct(base: bytes, n: int) -> bytes:
    """The same file made different bytes (clamd remembers clean files by hash): a JPEG comment
    segment after SOI, or a PDF comment after %%EOF."""
    mark = f"bench file {n} {uuid.uuid4()}".encode()
    if base.startswith(b"\xff\xd8"):
        return base[:2] + b"\xff\xfe" + (len(mark) + 2).to_bytes(2, "big") + mark + base[2:]
    return base + b"% " + mark + b"\n"


def files(count: int, pdf_every: int) -> list[tuple[str, str, bytes]]:
    """(file name, action id, bytes) for each upload; a few distinct bases, each file unique."""
    photos, pdfs = [photo() for _ in range(3)], [scanned_pdf() for _ in range(2)]
    result = []
    for n in range(count):
        action = ACTIONS[n % len(ACTIONS)]
        if pdf_every and n % pdf_every == pdf_every - 1:
            result.append((f"scan_{n:03d}.pdf", action, distinct(pdfs[n % 2], n)))
        else:
            result.append((f"IMG_{n:04d}.JPG", action, distinct(photos[n % 3], n)))
    return result


def remarked(items: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """The same files as bytes clamd has not seen (it would answer a second scan from its
    cache): each phase scans files of its own."""
    return [(name, action, distinct(data, n)) for n, (name, action, data) in enumerate(items)]


async def bounded(
    items: list[tuple[str, str, bytes]],
    concurrency: int,
    one: Callable[[int, str, str, bytes], Awaitable[None]],
) -> Timed:
    """Run `one` over the items, at most `concurrency` at once; the wall time and latencies."""
    latencies: list[float] = []
    queue = list(enumerate(items))
    queue.reverse()

    async def worker() -> None:
        while queue:
            n, (name, action, data) = queue.pop()
            started = time.perf_counter()
            await one(n, name, action, data)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, sorted(latencies)


async def uploads(
    base: str, token: str, items: list[tuple[str, str, bytes]], concurrency: int
) -> Timed:
    async with httpx.AsyncClient(
        base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}
    ) as client:

        async def one(n: int, name: str, action: str, data: bytes) -> None:
            response = await client.post(
                f"/api/v1/me/accidents/{CLAIM}/documents",
                files={"file": (name, data, "application/octet-stream")},
                data={"action_id": action},
            )
            assert response.status_code == 201, (response.status_code, response.text)

        return await bounded(items, concurrency, one)


async def raw_puts(
    store: ObjectStore, items: list[tuple[str, str, bytes]], concurrency: int, run: str
) -> Timed:
    """The same bytes PUT straight to the object store, with the service's client settings."""
    options = store.client_options()
    async with get_session().create_client("s3", **options) as client:

        async def one(n: int, name: str, action: str, data: bytes) -> None:
            await client.put_object(
                Bucket=RAW_BUCKET,
                Key=f"{run}/{n}",
                Body=data,
                ContentType="application/octet-stream",
            )

        await client.put_object(Bucket=RAW_BUCKET, Key=f"{run}/warm-up", Body=b"x")
        return await bounded(items, concurrency, one)


async def scans(address: str, items: list[tuple[str, str, bytes]], concurrency: int) -> Timed:
    scanner = ClamdScanner(address)

    async def one(n: int, name: str, action: str, data: bytes) -> None:
        assert await scanner.scan(data) is None

    return await bounded(items, concurrency, one)


async def redraws(items: list[tuple[str, str, bytes]], concurrency: int) -> Timed:
    """The photo redraw alone, in threads as the service runs it (PDFs pass through)."""

    async def one(n: int, name: str, action: str, data: bytes) -> None:
        kind = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
        await asyncio.to_thread(without_metadata, data, kind)

    return await bounded(items, concurrency, one)


def cpu_seconds(pids: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds each named process (and, for the client, this one) has spent so far."""
    tick = os.sysconf("SC_CLK_TCK")
    spent: dict[str, float] = {}
    for role, pid in pids.items():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except (OSError, TypeError):
            spent[role] = 0.0
            continue
        fields = text[text.rindex(")") + 2 :].split()
        spent[role] = (int(fields[11]) + int(fields[12])) / tick
    return spent


def claim_updates() -> list[AdjusterUpdate]:
    start = datetime.now(UTC) - timedelta(minutes=5)
    kinds: list[tuple[str, dict[str, str]]] = [
        (
            "claim_opened",
            {
                "customer_id": CUSTOMER,
                "policy_number": "A2026000001",
                "accident_date": "2026-11-19",
                "summary": "交差点での追突事故",
            },
        )
    ]
    kinds += [
        (
            "customer_action_requested",
            {"action_id": action, "description": "書類をお送りください", "due_date": "2026-12-10"},
        )
        for action in ACTIONS
    ]
    return in_sequence(CLAIM, kinds, start)


def rate_line(label: str, timed: Timed, count: int, total_bytes: int) -> str:
    elapsed, latencies = timed
    p50, p99 = latencies[len(latencies) // 2], latencies[-max(1, len(latencies) // 100)]
    return (
        f"{label:<44} {count / elapsed:6.1f} files/s {total_bytes / elapsed / 1e6:7.1f} MB/s "
        f"(p50 {p50 * 1000:5.0f} ms, p99 {p99 * 1000:5.0f} ms)"
    )


async def main(count: int, concurrency: int, pdf_every: int) -> None:
    state = local_dir() / f"bench-{os.getpid()}"
    postgres = LocalPostgres(state / "postgres").start()
    kafka = LocalKafka(state / "kafka", secured=kafka_clients.auth_on()).start()
    clamd = LocalClamd(state / "clamd").start()
    s3proxy = LocalObjectStore(state / "s3proxy").start()
    store = ObjectStore(s3proxy.url, s3proxy.access_key, s3proxy.secret_key)
    children: list[subprocess.Popen[bytes]] = []
    try:
        store.create_bucket(BUCKET)
        store.create_bucket(RAW_BUCKET)
        key = Ed25519PrivateKey.generate()
        jwks_port, port = distinct_ports(2)
        children.append(serve_jwks(key, jwks_port))
        env = claim_status_env(
            postgres.url(),
            kafka.bootstrap_servers,
            port,
            jwks_port,
            CLAIM_STATUS_OBJECT_STORE_URL=store.url,
            CLAIM_STATUS_OBJECT_STORE_BUCKET=BUCKET,
            CLAIM_STATUS_OBJECT_STORE_ACCESS_KEY=store.access_key,
            CLAIM_STATUS_OBJECT_STORE_SECRET_KEY=store.secret_key,
            CLAIM_STATUS_CLAMD_ADDRESS=clamd.address,
            CLAIM_STATUS_UPLOADS_PER_HOUR=str(count + 10),
            CLAIM_STATUS_MAX_FILES_PER_REQUEST=str(count),
        )
        service = subprocess.Popen([sys.executable, "-m", "claim_status"], env=env)
        children.append(service)
        base = f"http://127.0.0.1:{port}"
        token = customer_token(key, CUSTOMER)

        async def ready() -> bool:
            if service.poll() is not None:
                raise RuntimeError(f"claim-status exited with {service.returncode}")
            return await service_ready(base)

        await eventually(ready, timeout=90)
        await produce(kafka.bootstrap_servers, "claims.adjuster-updates", claim_updates())

        async def requests_open() -> bool:
            async with httpx.AsyncClient() as client:
                response = await client.get(
                    f"{base}/api/v1/me/accidents/{CLAIM}",
                    headers={"Authorization": f"Bearer {token}"},
                )
            return response.status_code == 200 and len(response.json()["requests"]) == len(ACTIONS)

        await eventually(requests_open, timeout=90, interval=0.2)

        items = files(count, pdf_every)
        total_bytes = sum(len(data) for _, _, data in items)
        photos = sum(1 for name, _, _ in items if name.endswith(".JPG"))
        warm_up = files(2, 2)
        await uploads(base, token, warm_up, 2)  # first requests load Pillow's plugins and more
        await scans(clamd.address, remarked(warm_up), 2)

        pids = {
            "service": service.pid,
            "clamd": read_pid(clamd.pid_file),
            "object store": read_pid(s3proxy.pid_file),
            "client": os.getpid(),
        }
        raw_before = await raw_puts(store, items, concurrency, "before")
        alone = cpu_seconds(pids)
        scan = await scans(clamd.address, remarked(items), concurrency)
        scan_cpu = cpu_seconds(pids)["clamd"] - alone["clamd"]
        alone = cpu_seconds(pids)
        redraw = await redraws(items, concurrency)
        redraw_cpu = cpu_seconds(pids)["client"] - alone["client"]
        cpu_before, busy_before = cpu_seconds(pids), busy_cpu_seconds()
        upload = await uploads(base, token, items, concurrency)
        busy = busy_cpu_seconds() - busy_before
        cpu = {role: spent - cpu_before[role] for role, spent in cpu_seconds(pids).items()}
        raw_after = await raw_puts(store, items, concurrency, "after")
    finally:
        stop_all(children, [s3proxy, clamd, kafka, postgres], state)

    mb = total_bytes / 1e6
    print(
        f"uploads: {count} files ({photos} photos 4032×3024 JPEG with EXIF/GPS, "
        f"{count - photos} scanned PDFs), {mb:.1f} MB, {concurrency} at once, one customer"
    )
    print(
        "  "
        + rate_line("baseline raw PUT to S3Proxy (aiobotocore)", raw_before, count, total_bytes)
    )
    print("  " + rate_line("  the same after the uploads", raw_after, count, total_bytes))
    print(
        "  "
        + rate_line("clamd INSTREAM alone", scan, count, total_bytes)
        + f" clamd CPU {scan_cpu / count * 1000:.0f} ms a file"
    )
    print(
        "  "
        + rate_line("photo redraw alone (Pillow, threads)", redraw, count, total_bytes)
        + f" CPU {redraw_cpu / photos * 1000:.0f} ms a photo"
    )
    print("  " + rate_line("claim-status POST .../documents", upload, count, total_bytes))
    raw_rate = count / ((raw_before[0] + raw_after[0]) / 2)
    upload_rate = count / upload[0]
    print(
        f"  ratio upload / raw PUT: {upload_rate / raw_rate:.2f}; "
        f"raw PUT / clamd / redraw, each alone, take {raw_before[0] / upload[0]:.0%} / "
        f"{scan[0] / upload[0]:.0%} / {redraw[0] / upload[0]:.0%} of the uploads' wall time"
    )
    cores = os.cpu_count() or 1
    print(
        f"  CPU per upload: machine {busy / count * 1000:.0f} ms (busy "
        f"{busy / upload[0]:.2f} of {cores} cores), of which "
        + ", ".join(f"{role} {spent / count * 1000:.0f} ms" for role, spent in cpu.items())
        + " (the rest: broker, database, anything else on the machine)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--pdf-every", type=int, default=3, help="every n-th file is a PDF (0: photos only)"
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.files, arguments.concurrency, arguments.pdf_every))
