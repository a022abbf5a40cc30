"""Client IP behind N trusted proxies (CONTRACT §9.1 point 6)."""

import pytest
from django.test import RequestFactory, override_settings

from core.net import client_ip


def _request(remote: str = "10.0.0.9", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@override_settings(TRUSTED_PROXY_COUNT=0)
def test_no_proxy_ignores_a_spoofed_forwarded_for():
    assert client_ip(_request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the one our proxy appended
        (2, "198.51.100.1, 203.0.113.7, 192.0.2.44", "203.0.113.7"),
        (2, "198.51.100.1,203.0.113.7", "198.51.100.1"),
        (1, " 203.0.113.7 ", "203.0.113.7"),
        (3, "203.0.113.7, 192.0.2.44", "203.0.113.7"),  # fewer hops than proxies: the outermost seen
    ],
)
def test_trusted_proxies_take_the_nth_address_from_the_right(count, forwarded, expected):
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(_request("10.0.0.9", forwarded)) == expected


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_without_forwarded_for_the_peer_address_is_used():
    assert client_ip(_request("10.0.0.9")) == "10.0.0.9"
    assert client_ip(_request("10.0.0.9", "")) == "10.0.0.9"
