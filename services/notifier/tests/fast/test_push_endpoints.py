"""Which push endpoints the notifier calls (notifier.push_endpoints): https to a global address
only, so a subscription cannot make the notifier call the platform's own networks (the
settings that would weaken it in production: test_production_settings.py)."""

import ipaddress

import pytest

from notifier.push_endpoints import EndpointRefused, address_allowed, check_endpoint

REFUSED = [
    "http://push.example.com/x",  # not https
    "ftp://push.example.com/x",
    "https://10.0.0.1/push",  # private ranges
    "https://172.16.5.4/push",
    "https://192.168.1.10/push",
    "https://127.0.0.1/push",  # loopback
    "https://127.8.9.10/push",
    "https://localhost/push",
    "https://[::1]/push",
    "https://169.254.169.254/latest/meta-data",  # link-local: the cloud metadata service
    "https://[fe80::1]/push",
    "https://[fc00::1]/push",  # unique local
    "https://100.64.0.1/push",  # shared address space (carrier NAT)
    "https://0.0.0.0/push",
    "https://224.0.0.1/push",  # multicast
    "https://240.0.0.1/push",  # reserved
    "https://[::ffff:10.0.0.1]/push",  # an IPv4 private address inside IPv6
    "https://[::ffff:127.0.0.1]/push",
    "https://user:secret@203.0.113.1/push",  # credentials in the URL
    "https:///push",  # no host
    "https://no-such-host.invalid/push",  # does not resolve
    "https://push.example.com:99999/x",  # not a port
    "https://" + "a" * 3000 + ".example.com/x",
]


@pytest.mark.parametrize("endpoint", REFUSED)
async def test_an_internal_or_plain_endpoint_is_refused(endpoint: str) -> None:
    with pytest.raises(EndpointRefused):
        await check_endpoint(endpoint)


async def test_a_global_https_address_is_allowed() -> None:
    await check_endpoint("https://8.8.8.8/wpush/v2/abc")
    await check_endpoint("https://[2001:4860:4860::8888]:8443/push/abc")


async def test_the_test_setting_allows_only_the_literal_loopback_address() -> None:
    await check_endpoint("http://127.0.0.1:8123/push/abc", allow_test_loopback=True)
    await check_endpoint("https://127.0.0.1/push/abc", allow_test_loopback=True)
    for other in [
        "http://localhost:8123/push/abc",
        "https://localhost/push/abc",
        "http://127.0.0.2/push/abc",
        "http://[::1]/push/abc",
        "https://10.0.0.1/push/abc",
        "http://8.8.8.8/push/abc",  # http stays refused elsewhere
    ]:
        with pytest.raises(EndpointRefused):
            await check_endpoint(other, allow_test_loopback=True)


def test_connected_addresses_are_judged_alike() -> None:
    """What push_sending checks on the socket it connected: the same rule."""
    assert address_allowed(ipaddress.ip_address("93.184.215.14"))
    assert not address_allowed(ipaddress.ip_address("10.1.2.3"))
    assert not address_allowed(ipaddress.ip_address("2002:0a00:0001::1"))  # 6to4 of 10.0.0.1
    assert not address_allowed(ipaddress.ip_address("127.0.0.1"))
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), allow_test_loopback=True)
