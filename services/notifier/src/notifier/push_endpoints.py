"""Which push endpoints the notifier will call: a browser's subscription names any URL, so an
endpoint is checked at registration and again before every send, and the address actually
connected to is checked once more (notifier.push_sending), so neither a crafted subscription nor
a name that later resolves elsewhere (DNS rebinding) makes the notifier call the platform's own
networks.

Allowed: https, a host name or address whose every resolved address is a global unicast one.
Refused: other schemes, user names in the URL, and any address that is loopback, private
(10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata service,
fe80::/10), shared (100.64/10), reserved, multicast or unspecified, IPv4 ones hidden inside IPv6
included. Tests run a push service on 127.0.0.1: NOTIFIER_PUSH_ALLOW_LOOPBACK_FOR_TESTS lets an
endpoint whose host is written exactly `127.0.0.1` through, over http too, and nothing else."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_ENDPOINT_LENGTH = 2048
TEST_LOOPBACK_HOST = "127.0.0.1"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class EndpointRefused(Exception):
    """A push endpoint the notifier will not call; the reason is for the log, not the caller."""


def address_allowed(address: IPAddress, *, allow_test_loopback: bool = False) -> bool:
    """A global unicast address (or 127.0.0.1, when the caller allows the tests' endpoint: its
    host was written `127.0.0.1` and the setting is on)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or _teredo_client(address)
        if embedded is not None:
            return address_allowed(embedded, allow_test_loopback=allow_test_loopback)
    if allow_test_loopback and address == ipaddress.IPv4Address(TEST_LOOPBACK_HOST):
        return True
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def _teredo_client(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    return address.teredo[1] if address.teredo else None


def parsed_endpoint(endpoint: str, *, allow_test_loopback: bool = False) -> tuple[str, int]:
    """The endpoint's host and port, if its form is one the notifier calls (no look-up yet)."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise EndpointRefused("the endpoint is too long")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as error:
        raise EndpointRefused(f"the endpoint is not a URL ({error})") from None
    host = parts.hostname
    if not host:
        raise EndpointRefused("the endpoint names no host")
    if parts.username is not None or parts.password is not None:
        raise EndpointRefused("the endpoint carries a user name")
    test_loopback = allow_test_loopback and host == TEST_LOOPBACK_HOST
    if parts.scheme != "https" and not (test_loopback and parts.scheme == "http"):
        raise EndpointRefused("the endpoint is not https")
    default_port = 443 if parts.scheme == "https" else 80
    return host, port or default_port


async def check_endpoint(endpoint: str, *, allow_test_loopback: bool = False) -> None:
    """Raises EndpointRefused unless every address the endpoint's host resolves to is allowed."""
    host, port = parsed_endpoint(endpoint, allow_test_loopback=allow_test_loopback)
    test_loopback = allow_test_loopback and host == TEST_LOOPBACK_HOST
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise EndpointRefused(f"the endpoint's host does not resolve ({error})") from None
    addresses = {ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for *_, sockaddr in found}
    if not addresses:
        raise EndpointRefused("the endpoint's host resolves to no address")
    refused = [a for a in addresses if not address_allowed(a, allow_test_loopback=test_loopback)]
    if refused:
        raise EndpointRefused(f"the endpoint's host resolves to an internal address ({refused[0]})")
