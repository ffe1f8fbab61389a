"""Small helpers for tests that wait on asynchronous effects."""
import time


def wait_for(condition, timeout=15.0, interval=0.05):
    """Poll `condition` until it returns something truthy; return that value
    (or the last falsy one after `timeout` seconds, for the assert to show)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
