"""The clock a service tells time from: the system's, or with
LOYALTY_CLOCK_FILE (the demo seeder) the instant that file names."""

import os
from datetime import UTC, datetime, timedelta

import pytest

from shared.clock import FileClock, SystemClock, configured_clock, utcnow, write_clock_file

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)

NINETY_DAYS_AGO = datetime(2026, 9, 2, 10, 30, tzinfo=UTC)


def test_a_file_clock_tells_the_instant_written_and_runs_on_from_it(tmp_path):
    path = tmp_path / "now"
    write_clock_file(path, NINETY_DAYS_AGO)
    clock = FileClock(path)

    first, second = clock.now(), clock.now()

    assert NINETY_DAYS_AGO <= first <= second < NINETY_DAYS_AGO + timedelta(minutes=1)
    assert first.tzinfo is not None


def test_moving_the_file_clock_moves_every_reader_forward_or_back(tmp_path):
    path = tmp_path / "now"
    write_clock_file(path, NINETY_DAYS_AGO)
    clock = FileClock(path)
    clock.now()

    write_clock_file(path, NINETY_DAYS_AGO + timedelta(days=1))
    assert NINETY_DAYS_AGO + timedelta(days=1) <= clock.now() < NINETY_DAYS_AGO + timedelta(days=1, minutes=1)

    write_clock_file(path, NINETY_DAYS_AGO - timedelta(days=3))
    assert clock.now() < NINETY_DAYS_AGO


def test_the_file_is_read_again_only_when_its_modification_time_changes(tmp_path):
    path = tmp_path / "now"
    write_clock_file(path, NINETY_DAYS_AGO)
    clock = FileClock(path)
    clock.now()
    written = os.stat(path)

    path.write_text((NINETY_DAYS_AGO + timedelta(days=30)).isoformat())
    os.utime(path, ns=(written.st_atime_ns, written.st_mtime_ns))

    assert clock.now() < NINETY_DAYS_AGO + timedelta(days=1)


def test_an_instant_without_an_offset_is_utc(tmp_path):
    path = tmp_path / "now"
    path.write_text("2026-09-02T10:30:00")

    assert NINETY_DAYS_AGO <= FileClock(path).now() < NINETY_DAYS_AGO + timedelta(minutes=1)


def test_services_tell_the_system_time_unless_a_clock_file_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("LOYALTY_CLOCK_FILE", raising=False)
    assert isinstance(configured_clock(), SystemClock)
    assert abs(configured_clock().now() - utcnow()) < timedelta(seconds=5)

    path = tmp_path / "now"
    write_clock_file(path, NINETY_DAYS_AGO)
    monkeypatch.setenv("LOYALTY_CLOCK_FILE", str(path))
    assert configured_clock().now() < NINETY_DAYS_AGO + timedelta(minutes=1)
