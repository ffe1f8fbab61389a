"""The outbound webhook rules, without nameko, a database or a network."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from typing import get_args

import pytest

from services.webhooks import domain
from services.webhooks.service import WebhooksService
from shared.entrypoints import handler_queues
from shared.errors import Unprocessable
from shared.events import EVENT_PAYLOADS, AwardReason, DeductionType
from shared.webhooks_api import TOPICS

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_every_event_the_service_hears_has_a_topic_of_the_spec():
    heard = {queue.event_type for queue in handler_queues(WebhooksService)}
    assert heard == {*domain.TOPIC_OF_EVENT, domain.POINTS_AWARDED, domain.POINTS_DEDUCTED}
    assert heard <= set(EVENT_PAYLOADS)
    for event_type in domain.TOPIC_OF_EVENT:
        assert domain.topic_of(event_type, {}) in TOPICS
    assert domain.topic_of("member_tier_changed", {}) == "member.tier_changed"


def test_points_awarded_is_earned_unless_an_admin_adjusted_it():
    assert domain.topic_of("points_awarded", {"reason": "order"}) == "points.earned"
    assert domain.topic_of("points_awarded", {"reason": "referral"}) == "points.earned"
    assert domain.topic_of("points_awarded", {"reason": "adjustment"}) == "points.adjusted"


def test_points_deducted_is_the_topic_of_its_ledger_entry_and_every_spec_topic_has_an_event():
    deducted = {kind: domain.topic_of("points_deducted", {"type": kind}) for kind in get_args(DeductionType)}
    assert deducted == {
        "redeemed": "points.redeemed",
        "refunded": "points.refunded",
        "expired": "points.expired",
        "adjusted": "points.adjusted",
    }
    awarded = {domain.topic_of("points_awarded", {"reason": reason}) for reason in get_args(AwardReason)}
    assert {*domain.TOPIC_OF_EVENT.values(), *deducted.values(), *awarded} == set(TOPICS)


def test_a_delivery_is_about_the_customer_or_the_referrer():
    assert domain.customer_of({"customer_id": "c1"}) == "c1"
    assert domain.customer_of({"referrer_customer_id": "c2", "referee_email": "x@y"}) == "c2"
    assert domain.customer_of({"test": True}) is None


def test_the_signature_is_base64_hmac_sha256_of_the_exact_body():
    body = domain.delivery_body("e1", "points.earned", "a.myshopify.com", T0, {"points": 5})
    assert json.loads(body) == {
        "id": "e1",
        "topic": "points.earned",
        "shop": "a.myshopify.com",
        "occurred_at": T0.isoformat(),
        "data": {"points": 5},
    }
    expected = base64.b64encode(hmac.new(b"s3cret", body, hashlib.sha256).digest()).decode()
    assert domain.signature("s3cret", body) == expected


def test_backoff_doubles_from_ten_seconds_up_to_an_hour_with_jitter():
    assert domain.backoff_seconds(1, 0.0) == 5.0
    assert domain.backoff_seconds(1, 0.999) < 10.0
    assert domain.backoff_seconds(2, 0.0) == 10.0
    assert domain.backoff_seconds(4, 0.0) == 40.0
    assert domain.backoff_seconds(30, 0.999) < 3600.0
    assert domain.backoff_seconds(30, 0.0) == 1800.0


def test_retries_stop_24_hours_after_the_first_attempt():
    assert domain.next_attempt_at(T0, T0, 1, 0.0) == T0 + timedelta(seconds=5)
    late = T0 + timedelta(hours=23, minutes=50)
    assert domain.next_attempt_at(T0, late, 20, 0.0) == T0 + timedelta(hours=24)  # the last try at the end
    assert domain.next_attempt_at(T0, T0 + timedelta(hours=24), 21, 0.0) is None


def test_a_subscription_is_disabled_after_24_hours_of_failing_straight():
    assert not domain.should_disable(None, T0)
    assert not domain.should_disable(T0, T0 + timedelta(hours=23, minutes=59))
    assert domain.should_disable(T0, T0 + timedelta(hours=24))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/hook", "must be an https:// URL"),
        ("ftp://example.com/hook", "must be an https:// URL"),
        ("https://user:pw@example.com/hook", "must not carry a user name or password"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://example.com:notaport/hook", "port"),
    ],
)
def test_urls_that_could_reach_the_apps_own_network_are_refused(url, message):
    with pytest.raises(Unprocessable) as refused:
        domain.target_of(url, allow_http=False)
    assert refused.value.details[0]["field"] == "url"
    assert message in refused.value.details[0]["message"]


def test_plain_http_only_to_loopback_and_only_when_allowed():
    with pytest.raises(Unprocessable):
        domain.target_of("http://127.0.0.1:9000/hook", allow_http=False)
    with pytest.raises(Unprocessable, match="request is not valid") as refused:
        domain.target_of("http://example.com/hook", allow_http=True)
    assert "loopback" in refused.value.details[0]["message"]
    target = domain.target_of("http://127.0.0.1:9000/hook?x=1", allow_http=True)
    assert target == domain.Target("http", "127.0.0.1", 9000, "/hook?x=1")
    assert domain.target_of("https://example.com", allow_http=False) == domain.Target(
        "https", "example.com", 443, "/"
    )


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "private"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:192.168.0.1", "private"),
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo client 127.0.0.1
        ("fec0::1", "site-local"),
        ("64:ff9b::a00:1", "reserved"),  # NAT64 of 10.0.0.1
        ("64:ff9b::808:808", "reserved"),  # NAT64 of 8.8.8.8: refused all the same
        ("2002:808:808::1", None),  # 6to4 of 8.8.8.8
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_the_addresses_a_delivery_may_not_connect_to(address, reason):
    assert domain.refusal_of(ip_address(address)) == reason


def test_a_name_resolving_to_a_private_address_is_refused_at_connection_time():
    target = domain.target_of("https://hooks.example.com/x", allow_http=False)
    assert domain.allowed_address("93.184.215.14", target, allow_http=False) is None
    refused = domain.allowed_address("10.0.0.7", target, allow_http=False)
    assert refused == "hooks.example.com resolves to a private address (10.0.0.7)"
    local = domain.target_of("http://localhost:8080/x", allow_http=True)
    assert domain.allowed_address("127.0.0.1", local, allow_http=True) is None
    assert domain.allowed_address("10.0.0.7", local, allow_http=True) is not None
