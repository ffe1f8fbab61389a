"""Time, injectable: domain code asks a clock instead of calling now(), so
tests move time instead of sleeping.

`FileClock` is a demo and test facility: with LOYALTY_CLOCK_FILE set, every
service process tells the time from that file instead of the system clock,
so the demo seeder (loyalty/demo) can play 90 days of a shop's life in a
minute through the real services. Unset (production), it is SystemClock."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from shared import config


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FrozenClock:
    """A clock tests set and advance by hand."""

    def __init__(self, at: datetime | None = None):
        self._now = at or utcnow()

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)

    def set(self, at: datetime) -> None:
        self._now = at


class FileClock:
    """The time named by a file: an ISO-8601 instant (with its offset), from
    which the clock runs on at normal speed since the file was written (its
    mtime), so what happens in a row keeps its order. The file is read again
    only when its mtime changes: a stat per reading. `write_clock_file`
    sets it."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._mtime_ns: int | None = None
        self._instant = utcnow()

    def now(self) -> datetime:
        mtime_ns = os.stat(self.path).st_mtime_ns
        if mtime_ns != self._mtime_ns:
            # The instant and its mtime from one open file: the writer renames
            # a new file over this one, which must not pair with the old mtime.
            with open(self.path) as clock:
                mtime_ns = os.fstat(clock.fileno()).st_mtime_ns
                self._instant = _aware(datetime.fromisoformat(clock.read().strip()))
            self._mtime_ns = mtime_ns
        return self._instant + timedelta(microseconds=max(0, utcnow().timestamp() * 1e6 - mtime_ns / 1e3))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def write_clock_file(path: Path | str, at: datetime) -> None:
    """Set a FileClock's time: written to a temporary file then renamed over
    the old one, so a reader never sees half an instant."""
    target = Path(path)
    temporary = target.with_name(target.name + ".new")
    temporary.write_text(_aware(at).isoformat())
    os.replace(temporary, target)


def configured_clock() -> Clock:
    """The clock of a service process: a FileClock when LOYALTY_CLOCK_FILE
    names one (the demo seeder, tests), else the system's."""
    path = config.clock_file()
    return FileClock(path) if path is not None else SystemClock()
