"""`make run`'s launcher as an operator meets it: it restarts a service that
dies (with growing delays, and gives up on one that keeps dying at start),
and Ctrl-C or SIGTERM stops every process it started, quickly and cleanly."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import private_vhost
from loyalty.launcher import Child, RestartPolicy, Supervisor
from tests.clients import OrderStream, System
from tests.support import wait_for

STOP_BOUND_SECONDS = 15


def child_pids(parent: int) -> dict[str, int]:
    """{service name: pid} of the `loyalty serve NAME` processes under `parent`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"serve" in argv:
            found[argv[argv.index(b"serve") + 1].decode()] = int(entry.name)
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Launcher:
    """`loyalty run` in a session of its own (so a test can signal its whole
    process group as a terminal's Ctrl-C does), output to a file."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log = env, log
        with open(log, "a") as output:  # the child writes to its own copy
            self.process = subprocess.Popen(
                [sys.executable, "-m", "loyalty.cli", "run"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text()

    def wait_until_up(self, timeout: float = 120) -> dict[str, int]:
        assert wait_for(
            lambda: "all services are up" in self.output() or self.process.poll() is not None, timeout=timeout
        ), self.output()
        assert self.process.poll() is None, self.output()
        pids = child_pids(self.process.pid)
        assert set(pids) == {"points", "referrals", "reviews", "webhooks", "gateway"}, (pids, self.output())
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def launcher_env(services_env):
    with private_vhost() as uri:
        yield dict(services_env, AMQP_URI=uri)


@pytest.fixture
def launch(launcher_env, tmp_path):
    started = []

    def start() -> Launcher:
        started.append(Launcher(launcher_env, tmp_path / f"launcher-{len(started)}.log"))
        return started[-1]

    yield start
    for launcher in started:
        launcher.stop()


def gateway_ready(system: System) -> bool:
    try:
        return system.http.get(system.url("/ready"), timeout=3).status_code == 200
    except requests.RequestException:
        return False


def system_of(env: dict) -> System:
    return System(f"http://127.0.0.1:{env['GATEWAY_PORT']}", env["AMQP_URI"], env["GATEWAY_DATABASE_URL"])


def stops_everything_within_bound(launcher: Launcher, send_signal) -> None:
    """Send the signal; the launcher exits 0 and every service it started is
    gone within STOP_BOUND_SECONDS, each having stopped without SIGKILL."""
    pids = child_pids(launcher.process.pid)
    signalled_at = time.monotonic()
    send_signal()
    assert launcher.process.wait(timeout=STOP_BOUND_SECONDS) == 0, launcher.output()
    assert wait_for(
        lambda: not any(alive(pid) for pid in pids.values()),
        timeout=max(0.1, STOP_BOUND_SECONDS - (time.monotonic() - signalled_at)),
    )
    assert "stopped." in launcher.output()
    assert "killing it" not in launcher.output()


def balance(shop, customer: str) -> int | None:
    return shop.api("GET", f"/api/customers/{customer}").json().get("customer", {}).get("balance")


def expect_balances(shop, orders: OrderStream) -> None:
    for customer, points in orders.expected_balances().items():
        assert wait_for(lambda c=customer, p=points: balance(shop, c) == p, timeout=60), (
            customer,
            balance(shop, customer),
            points,
        )


def test_a_killed_service_is_restarted_alone_and_sigterm_to_the_group_stops_everything(launch, launcher_env):
    launcher = launch()
    pids = launcher.wait_until_up()
    system = system_of(launcher_env)
    # The dashboard's address carries no secret; the demo key printed apart signs in.
    printed = wait_for(
        lambda: re.search(r"Dashboard: +(\S+).*\n(?:.*\n)*? +Admin API key: +(\S+)", launcher.output())
    )
    assert printed, launcher.output()
    dashboard, demo_key = printed.groups()
    assert dashboard == f"http://localhost:{launcher_env['GATEWAY_PORT']}/"
    assert system.http.post(system.url("/api/session"), json={"key": demo_key}).status_code == 201
    shop = system.create_shop()
    orders = OrderStream(shop, customers=5, clients=2, pause=0.05).start()
    try:
        time.sleep(1)
        os.kill(pids["points"], signal.SIGKILL)
        killed_at = time.monotonic()
        assert wait_for(
            lambda: re.search(r"points exited with code -9 .*restarting it in 1s", launcher.output()),
            timeout=5,
        ), launcher.output()
        assert wait_for(lambda: "starting points again (restart #1)" in launcher.output(), timeout=5)
        assert wait_for(lambda: gateway_ready(system), timeout=15), launcher.output()
        assert time.monotonic() - killed_at <= 15
        time.sleep(1)
    finally:
        orders.stop()

    restarted = child_pids(launcher.process.pid)
    assert restarted["points"] != pids["points"]
    assert {name: pid for name, pid in restarted.items() if name != "points"} == {
        name: pid for name, pid in pids.items() if name != "points"
    }
    assert orders.unanswered == []
    assert len(orders.accepted) > 20
    expect_balances(shop, orders)

    stops_everything_within_bound(launcher, lambda: os.killpg(launcher.process.pid, signal.SIGTERM))


def test_with_loyalty_demo_0_the_first_run_leaves_the_demo_shop_empty(launch, launcher_env):
    launcher = launch()
    launcher.wait_until_up()
    system = system_of(launcher_env)
    credentials = json.loads((Path(launcher_env["LOYALTY_DATA_DIR"]) / "demo-shop.json").read_text())

    customers = system.http.get(
        system.url("/api/customers"), headers={"Authorization": f"Bearer {credentials['admin_api_key']}"}
    )

    assert customers.status_code == 200, customers.text
    assert customers.json()["items"] == []
    assert "LOYALTY_DEMO=0: the demo shop starts empty" in launcher.output()
    assert "seeding" not in launcher.output()


def test_ctrl_c_stops_everything_in_flight_orders_are_awarded_after_the_next_start_and_sigterm_stops_it(
    launch, launcher_env
):
    launcher = launch()
    launcher.wait_until_up()
    shop = system_of(launcher_env).create_shop()
    orders = OrderStream(shop, customers=4, clients=3, pause=0.02).start()
    time.sleep(1.5)
    # A terminal's Ctrl-C: SIGINT to the launcher and every service at once,
    # while orders are still being handled.
    stops_everything_within_bound(launcher, lambda: os.killpg(launcher.process.pid, signal.SIGINT))
    orders.stop()
    assert len(orders.accepted) > 20

    again = launch()
    again.wait_until_up()
    orders.redeliver_unanswered()
    expect_balances(shop, orders)

    # SIGTERM to the launcher alone, as a process manager stops it.
    stops_everything_within_bound(again, lambda: again.process.send_signal(signal.SIGTERM))


def test_supervisor_backs_off_and_gives_up_on_a_service_that_keeps_dying(tmp_path, capsys):
    starts = tmp_path / "starts"
    crashing = Child(
        "crashy", [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"]
    )
    steady = Child("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor(
        [crashing, steady], RestartPolicy(first_delay=0.1, max_delay=0.4, max_quick_crashes=4)
    )
    supervisor.start_all()
    assert wait_for(lambda: supervisor.tick() or crashing.given_up, timeout=20, interval=0.02)
    time.sleep(1)
    supervisor.request_stop(signal.SIGTERM, None)
    supervisor.stop_all()

    output = capsys.readouterr().out
    delays = re.findall(r"crashy exited with code 3 after [\d.]+s; restarting it in ([\d.]+)s", output)
    assert delays == ["0.1", "0.2", "0.4", "0.4"]
    assert "crashy keeps exiting right after it starts (4 times in a row, last with code 3)" in output
    assert starts.read_text() == "x" * 5  # the first start and four restarts, then no more
    assert steady.restarts == 0
    assert steady.process.returncode == -signal.SIGTERM
