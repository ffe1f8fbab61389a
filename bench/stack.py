"""The services under test, run as `make run` runs them: one OS process per
service (`loyalty serve NAME`), and what the
benchmark reads off those processes (their resident memory)."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loyalty(*args: str) -> list[str]:
    """The `loyalty` command line, run with this interpreter."""
    return [sys.executable, "-m", "loyalty.cli", *args]


def create_shop(env: dict, domain: str) -> dict:
    """`loyalty shops create DOMAIN --json`: the shop's id and admin key."""
    done = subprocess.run(
        loyalty("shops", "create", domain, "--json"),
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


class Services:
    """`loyalty serve NAME` for each name, logging to files in `log_dir`."""

    def __init__(self, names: list[str], env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.processes = {}
        for name in names:
            # The child writes to its own copy of the file descriptor.
            with open(log_dir / f"{name}.log", "w") as log:
                self.processes[name] = subprocess.Popen(
                    loyalty("serve", name), env=env, stdout=log, stderr=subprocess.STDOUT
                )

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def wait_until_answering(self, url: str, headers: dict, timeout: float = 120) -> None:
        """Until `url` answers 200: the gateway is up and its RPC reaches
        the service behind it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes.values()):
                break
            try:
                if requests.get(url, headers=headers, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the services did not answer {url}:\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.log_dir.glob("*.log"))
        )

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def memory_kib(pid: int, field: str = "VmRSS") -> int:
    """A /proc/<pid>/status figure in KiB (VmRSS: resident now; VmHWM: the
    peak resident since start or the last reset)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) the process has used so far: unlike a
    latency, it hardly moves with what else runs on the shared cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak(pid: int) -> bool:
    """Start VmHWM afresh from the current RSS (Linux >= 4.0); False where
    the kernel or our rights do not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class PeakMemory:
    """The peak RSS of some processes while the `with` block runs: VmHWM
    after a reset where the kernel allows it (it sees every spike), and
    samples every 50 ms besides (the fallback, and a cross-check)."""

    INTERVAL = 0.05

    def __init__(self, pids: dict[str, int]):
        self.pids = pids
        self.before: dict[str, int] = {}
        self.sampled_peak: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.after: dict[str, int] = {}
        self._hwm_reset: dict[str, bool] = {}
        self._done = threading.Event()

    def __enter__(self):
        for name, pid in self.pids.items():
            self.before[name] = self.sampled_peak[name] = memory_kib(pid)
            self._hwm_reset[name] = reset_peak(pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.wait(self.INTERVAL):
            for name, pid in self.pids.items():
                self.sampled_peak[name] = max(self.sampled_peak[name], memory_kib(pid))

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        for name, pid in self.pids.items():
            self.after[name] = memory_kib(pid)
            hwm = memory_kib(pid, "VmHWM") if self._hwm_reset[name] else 0
            self.peak[name] = max(hwm, self.sampled_peak[name], self.after[name])
