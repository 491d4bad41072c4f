"""Which addresses a webhook may go to: the rules as plain functions."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.core.errors import ValidationFailed
from meridian.webhooks.addresses import check, parse, refusal_reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("172.16.5.4", "a private address"),
        ("fd00::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("2002:7f00:1::1", "a loopback address"),  # 6to4 around 127.0.0.1
        ("2002:a00:5::1", "a private address"),  # 6to4 around 10.0.0.5
        ("93.184.215.14", None),
        ("2606:4700::1111", None),
    ],
)
def test_each_kind_of_address_is_named(address, reason):
    assert refusal_reason(ipaddress.ip_address(address)) == reason


@given(st.ip_addresses(v=4, network="10.0.0.0/8") | st.ip_addresses(v=6, network="fc00::/7"))
def test_every_private_address_is_refused(ip):
    assert refusal_reason(ip) is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "must start with http:// or https://"),
        ("file:///etc/passwd", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("https://", "needs a host name"),
        ("https://user:pw@example.com/", "must not carry a user name or password"),
        ("http://example.com:99999/", "is not a valid web address"),
        ("https://example.com/a hook", "spaces or control characters"),
        ("https://exa mple.com/", "spaces or control characters"),
        ("https://example.com/a\x7fb", "spaces or control characters"),
        ("https://example.com/a\x00b", "spaces or control characters"),
    ],
)
def test_only_plain_http_and_https_addresses_are_taken(url, message):
    with pytest.raises(ValidationFailed) as refused:
        parse(url)
    assert message in refused.value.detail


def test_a_host_that_does_not_resolve_is_refused_by_name():
    with pytest.raises(ValidationFailed) as refused:
        check("https://no-such-host.invalid/hook", allowed_hosts=set())
    assert refused.value.detail == "The host no-such-host.invalid does not resolve."


def test_an_ip_literal_is_checked_like_a_name():
    with pytest.raises(ValidationFailed) as refused:
        check("http://[::1]:8080/x", allowed_hosts=set())
    assert "::1 resolves to ::1, a loopback address" in refused.value.detail
    target = check("http://[::1]:8080/x?a=1", allowed_hosts={"::1"})
    assert (target.ip, target.port, target.path) == ("::1", 8080, "/x?a=1")


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://017700000001/",  # the same in octal
        "http://0x7f.1/",  # and in hex, short form
        "http://127.1/",
        "http://0.0.0.0:8000/",
        "http://localhost./",  # a trailing dot
        "http://LOCALHOST/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[2002:7f00:1::1]/",
        "http://[::]/",
    ],
)
def test_the_loopback_written_in_other_ways_is_refused_too(url):
    with pytest.raises(ValidationFailed) as refused:
        check(url, allowed_hosts=set())
    assert "an admin can allow this host" in refused.value.detail
