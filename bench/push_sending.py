"""Push sending: the notifier's sender (VAPID-signed, aes128gcm-encrypted Web Push, pywebpush over
a requests session from worker threads) against the test push service on 127.0.0.1, next to a
baseline in the same run: the same number of pushes to the same service, signed and encrypted
once beforehand and only POSTed. The ratio is what signing and encrypting each push costs.

    python bench/push_sending.py [--pushes 600] [--concurrency 8] [--subscriptions 50]

The push service (services/notifier/tests/push_service.py) verifies each VAPID token and
decrypts each body as a browser would, in this same process: both figures carry its cost.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from py_vapid import Vapid
from pywebpush import WebPusher

from notifier.push_sending import PushMessage, PushTarget, PyWebPushSender, generate_vapid_key

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "notifier" / "tests"))
from push_service import BrowserSubscription, running_push_service

SUBJECT = "mailto:bench@example.jp"
MESSAGE = PushMessage(
    "事故の対応状況が更新されました", "ログインしてご確認ください。", "/accidents/CL-000001"
)


def target(subscription: BrowserSubscription) -> PushTarget:
    keys = subscription.json()["keys"]
    return PushTarget(subscription.endpoint, keys["p256dh"], keys["auth"])


async def through_the_notifier(
    sender: PyWebPushSender, targets: list[PushTarget], pushes: int, concurrency: int
) -> float:
    remaining = [pushes]

    async def worker() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            await sender.send(targets[remaining[0] % len(targets)], MESSAGE)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return pushes / (time.perf_counter() - started)


def prepared(subscription: BrowserSubscription, private_key: str) -> tuple[str, bytes, dict]:
    """One push as the sender would make it, signed and encrypted now, to POST again later."""
    pusher = WebPusher(subscription.json())
    encoded = pusher.encode(MESSAGE.payload().encode(), content_encoding="aes128gcm")
    audience = subscription.endpoint.split("/push/")[0]
    vapid = Vapid.from_string(private_key=private_key).sign(
        {"sub": SUBJECT, "aud": audience, "exp": int(time.time()) + 3600}
    )
    headers = {
        "Authorization": vapid["Authorization"],
        "Content-Encoding": "aes128gcm",
        "TTL": "3600",
    }
    return subscription.endpoint, encoded["body"], headers


def raw_posts(
    prepared_pushes: list[tuple[str, bytes, dict]], pushes: int, concurrency: int
) -> float:
    session = requests.Session()

    def post(n: int) -> None:
        endpoint, body, headers = prepared_pushes[n % len(prepared_pushes)]
        response = session.post(endpoint, data=body, headers=headers, timeout=10)
        assert response.status_code == 201, response.status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(pushes)))
    return pushes / (time.perf_counter() - started)


async def main(pushes: int, concurrency: int, subscriptions: int) -> None:
    private_key, _ = generate_vapid_key()
    sender = PyWebPushSender(
        vapid_private_key=private_key,
        vapid_subject=SUBJECT,
        ttl_seconds=3600,
        timeout_seconds=10,
        allow_test_loopback=True,
    )
    with running_push_service() as service:
        browsers = [service.subscribe() for _ in range(subscriptions)]
        targets = [target(b) for b in browsers]
        ready = [prepared(b, private_key) for b in browsers]
        await through_the_notifier(sender, targets, 20, concurrency)  # warm-up
        raw_before = await asyncio.to_thread(raw_posts, ready, pushes, concurrency)
        rate = await through_the_notifier(sender, targets, pushes, concurrency)
        raw_after = await asyncio.to_thread(raw_posts, ready, pushes, concurrency)
        refused = list(service.refused)
    assert not refused, refused[:3]
    baseline = (raw_before + raw_after) / 2
    print(
        f"push sending: {pushes} pushes to {subscriptions} subscriptions, {concurrency} at a time"
    )
    print(
        f"  baseline: the same pushes signed and encrypted beforehand, POSTed: {raw_before:.0f} "
        f"before, {raw_after:.0f} after, pushes/s"
    )
    print(
        f"  the notifier's sender (sign, encrypt, POST): {rate:.0f} pushes/s "
        f"(ratio {rate / baseline:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pushes", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--subscriptions", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.pushes, arguments.concurrency, arguments.subscriptions))
