"""A bounded steady load for LOAD_MINUTES (10 by default) on the whole back end: the rate held,
p50/p99 per route, errors, and each service's memory at the start and the end. Part of
`make faults`; the figures go to .local/test-artifacts/load.json and docs/reliability.md."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_harness import SERVICES, Load, Product, running_product

from devinfra.paths import local_dir

MINUTES = float(os.environ.get("LOAD_MINUTES", "10"))


def resident_mib(product: Product, module: str) -> float:
    status = Path(f"/proc/{product.processes[module].pid}/status").read_text()
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    return round(kib / 1024, 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.fixture(scope="module")
def product() -> Iterator[Product]:
    with running_product() as running:

        async def ready() -> None:
            for module in SERVICES:
                await running.ready(module)

        asyncio.run(ready())
        yield running


@pytest.mark.slow
@pytest.mark.faults
def test_a_steady_load_holds_its_rate_without_errors_or_growth(product: Product) -> None:
    load = Load(product)
    asyncio.run(load.prepare(policies=int(250 * MINUTES) + 50))
    samples: list[tuple[float, dict[str, float]]] = []

    async def sample_memory(deadline: float) -> None:
        """Every 30 s: growth shows as a slope after warm-up, not as the first minute's rise."""
        while time.monotonic() < deadline:
            samples.append((time.monotonic(), {m: resident_mib(product, m) for m in SERVICES}))
            await asyncio.sleep(min(30, max(0.0, deadline - time.monotonic())))

    async def run() -> None:
        await asyncio.gather(load.run(MINUTES * 60), sample_memory(time.monotonic() + MINUTES * 60))

    started = time.monotonic()
    asyncio.run(run())
    elapsed = time.monotonic() - started
    memory_end = {m: resident_mib(product, m) for m in SERVICES}
    warmed = next((mem for at, mem in samples if at - started >= 120), samples[0][1])

    routes: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for answer in load.answers:
        routes.setdefault(answer.route, []).append(answer.ended - answer.at)
        if answer.status >= 500:
            errors[answer.route] = errors.get(answer.route, 0) + 1
    report = {
        "minutes": MINUTES,
        "updates_per_second": round(sum(len(s) for s in load.sent.values()) / elapsed, 1),
        "http_calls_per_second": round(len(load.answers) / elapsed, 1),
        "routes": {
            route: {
                "calls": len(times),
                "p50_ms": round(percentile(times, 0.5) * 1000, 1),
                "p99_ms": round(percentile(times, 0.99) * 1000, 1),
            }
            for route, times in sorted(routes.items())
        },
        "server_errors": errors,
        "memory_mib_start": samples[0][1],
        "memory_mib_after_2_min": warmed,
        "memory_mib_end": memory_end,
        "memory_mib_every_30_s": [mem for _, mem in samples],
    }
    path = local_dir() / "test-artifacts" / "load.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))

    assert not errors
    assert report["updates_per_second"] > 10, "the adjusters' rate held"
    for module in SERVICES:  # after warm-up, growth beyond noise: a third again, or 50 MiB
        assert memory_end[module] < max(warmed[module] * 1.33, warmed[module] + 50), module
