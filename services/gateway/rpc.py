"""How the gateway asks the services behind it: every call bounded in time,
parallel calls started together, and calls whose answer a page can do
without."""

import logging
import time

import eventlet
from nameko.rpc import RpcProxy

from services.gateway.web import UNAVAILABLE
from shared import config
from shared.errors import ServiceUnavailable
from shared.pagination import PageQuery

log = logging.getLogger(__name__)

RPC_TIMEOUT_SECONDS = config.rpc_timeout_seconds()


def bounded_rpc_proxy(service_name: str) -> RpcProxy:
    """A proxy whose requests expire in the service's queue when the
    gateway stops waiting for them: a command answered 503 because its
    service was down is dropped by the broker, never applied when the
    service comes back (the merchant, told it failed, may well do it again)."""
    return RpcProxy(service_name, expiration=RPC_TIMEOUT_SECONDS)


def results(*replies, timeout: float = RPC_TIMEOUT_SECONDS) -> list:
    """The results of RPCs started with `call_async` (so they run in
    parallel), waiting at most `timeout` seconds for all of them."""
    with eventlet.Timeout(timeout, ServiceUnavailable("a service did not answer in time")):
        return [reply.result() for reply in replies]


def ask(method, **kwargs):
    """One RPC, bounded like `results`."""
    return results(method.call_async(**kwargs))[0]


def optional_call(method, **kwargs):
    """Start an RPC whose answer the page can do without: None (logged)
    if the service cannot even be asked."""
    try:
        return method.call_async(**kwargs)
    except UNAVAILABLE as exc:
        log.warning("%s could not be asked: %r", method, exc)
        return None


def optional_calls(calls: dict[str, tuple]) -> dict[str, object]:
    """`optional_call` of each (method, kwargs) by name, all started at
    once: each publish waits for the broker's confirm (how nameko tells an
    unknown service), so one after another they would wait in turn."""
    starting = {
        name: eventlet.spawn(optional_call, method, **kwargs) for name, (method, kwargs) in calls.items()
    }
    return {name: thread.wait() for name, thread in starting.items()}


def optional_result(reply, deadline: float):
    """The answer of `optional_call`, or None (logged) if there is none by
    `deadline` (time.monotonic()) or the service failed."""
    if reply is None:
        return None
    try:
        return results(reply, timeout=max(0.0, deadline - time.monotonic()))[0]
    except (ServiceUnavailable, *UNAVAILABLE) as exc:
        log.warning("a section of a page is unavailable: %r", exc)
        return None


def feed_window(query: PageQuery) -> dict:
    """A feed query's window and page, as the services' list RPCs take them."""
    from_, to = query.window()
    return {"from_": from_.isoformat(), "to": to.isoformat(), "cursor": query.cursor, "limit": query.limit}
