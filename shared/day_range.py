"""The overview's date range: whole UTC days, because its totals come from
per-day roll-ups. `from` and `to` are dates (or times, whose UTC date is
taken), both days included; the window a feed is asked for to list the
same activity is that of `window()`."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Self

from pydantic import BaseModel, Field, field_validator, model_validator

from shared.clock import utcnow

DEFAULT_DAYS = 30
# A series point per day: a year (and a leap day) at most per answer.
MAX_DAYS = 366


class DayRange(BaseModel):
    """`from` (default: 29 days before `to`) to `to` (default: today), UTC."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    model_config = {"populate_by_name": True, "extra": "ignore"}

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _utc_date(cls, value: object) -> object:
        """A time's UTC date; a time without an offset is refused, as in the
        feeds, rather than guessed."""
        if isinstance(value, str) and len(value) > 10:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value  # pydantic names the field
            if moment.tzinfo is None:
                raise ValueError("must be a date (YYYY-MM-DD) or include a timezone")
            return moment.astimezone(UTC).date()
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("must be a date (YYYY-MM-DD) or include a timezone")
            return value.astimezone(UTC).date()
        return value

    @model_validator(mode="after")
    def _whole_days(self) -> Self:
        if self.to is None:
            self.to = utcnow().date()
        if self.from_ is None:
            self.from_ = self.to - timedelta(days=DEFAULT_DAYS - 1)
        if self.from_ > self.to:
            raise ValueError("'from' must not be after 'to'")
        if (self.to - self.from_).days + 1 > MAX_DAYS:
            raise ValueError(f"the range may span at most {MAX_DAYS} days")
        return self

    @property
    def first(self) -> date:
        if self.from_ is None:
            raise ValueError("a day range is filled in when it is validated; this one was not")
        return self.from_

    @property
    def last(self) -> date:
        if self.to is None:
            raise ValueError("a day range is filled in when it is validated; this one was not")
        return self.to

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def window(self) -> tuple[datetime, datetime]:
        """The first instant of the first day and the last of the last day
        (feeds include both ends), UTC."""
        start = datetime.combine(self.first, time.min, tzinfo=UTC)
        next_day = datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=UTC)
        return start, next_day - timedelta(microseconds=1)

    def as_params(self) -> dict[str, str]:
        """How the services' overview RPCs take the range."""
        return {"from_": self.first.isoformat(), "to": self.last.isoformat()}


def day_of(moment: datetime) -> date:
    """The UTC day an activity at `moment` counts on."""
    return moment.astimezone(UTC).date()
