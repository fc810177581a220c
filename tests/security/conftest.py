from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from web_harness import document_servers, product

__all__ = ["all_at_once", "document_servers", "product"]

Send = Callable[[httpx.Client, int], httpx.Response]
AllAtOnce = Callable[[str, Send], list[httpx.Response]]


def _all_at_once(url: str, send: Send, count: int = 160) -> list[httpx.Response]:
    """`count` requests from one address, all in flight together: the gateway counts each as it
    arrives, so its per-client limit shows whatever the service behind it takes to answer (one
    at a time, or a hundred at a time through httpx's default pool, a slow log-in never outran
    the limit's rate and the test depended on how busy the machine was). The ones let through
    may wait long for a service that hashes a password each: 90 s."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    with (
        httpx.Client(base_url=url, timeout=90, limits=limits) as client,
        ThreadPoolExecutor(max_workers=count) as attackers,
    ):
        return list(attackers.map(lambda n: send(client, n), range(count)))


@pytest.fixture
def all_at_once() -> AllAtOnce:
    """How a stuffing tool sends: many requests from one client at the same moment."""
    return _all_at_once
