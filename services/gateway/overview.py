"""The merchant's overview (SPEC §7 "Overview"): points, referrals and
reviews each answer for their part of a range of whole UTC days from their
daily roll-ups, asked in parallel. A service that does not answer in time
is named in `unavailable`, its totals null and its rows empty, and the rest
is still shown."""

import time
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.gateway.rpc import RPC_TIMEOUT_SECONDS, optional_calls, optional_result
from shared import referrals_api, reviews_api
from shared.day_range import DayRange
from shared.points_api import Activity

POINT_TOTALS = (
    "points_earned",
    "points_redeemed",
    "points_refunded",
    "points_expired",
    "points_adjusted",
    "active_members",
    "new_members",
    "outstanding_points",
)
REFERRAL_TOTALS = ("referrals", "referral_points_rewarded", "referral_link_clicks")
REVIEW_TOTALS = ("reviews", "review_points_rewarded", "google_reviews", "reviews_average_rating")


# The answer, as the OpenAPI document describes it; null where the service
# that owns a figure did not answer.
class Window(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime


class Totals(BaseModel):
    points_earned: int | None
    points_redeemed: int | None
    points_refunded: int | None
    points_expired: int | None
    points_adjusted: int | None
    active_members: int | None
    new_members: int | None
    outstanding_points: int | None
    referrals: referrals_api.StatusCounts | None
    referral_points_rewarded: int | None
    # Clicks on referral links in the range: the funnel's first step.
    referral_link_clicks: int | None
    reviews: reviews_api.StatusCounts | None
    review_points_rewarded: int | None
    google_reviews: reviews_api.StatusCounts | None
    # Of the reviews submitted in the range; null without any.
    reviews_average_rating: float | None


class Day(BaseModel):
    date: date
    earned: int | None
    redeemed: int | None
    expired: int | None


class Recent(BaseModel):
    points: list[Activity]
    referrals: list[referrals_api.Referral]
    reviews: list[reviews_api.Review]
    google_reviews: list[reviews_api.GoogleReview]


class Dashboard(BaseModel):
    range: Window
    totals: Totals
    series: list[Day]
    recent: Recent
    unavailable: list[Literal["points", "referrals", "reviews"]]


def dashboard(points, referrals, reviews, shop_id: str, days: DayRange) -> dict:
    asked = {"shop_id": shop_id, **days.as_params()}
    replies = optional_calls(
        {
            "points": (points.overview, asked),
            "referrals": (referrals.overview, asked),
            "reviews": (reviews.overview, asked),
        }
    )
    deadline = time.monotonic() + RPC_TIMEOUT_SECONDS
    answers = {name: optional_result(reply, deadline) for name, reply in replies.items()}
    return dashboard_view(days, answers["points"], answers["referrals"], answers["reviews"])


def dashboard_view(days: DayRange, points: dict | None, referrals: dict | None, reviews: dict | None) -> dict:
    """The services' parts as one answer; None for a part that did not come."""
    from_, to = days.window()
    totals = {
        **(points["totals"] if points else dict.fromkeys(POINT_TOTALS)),
        **(referrals["totals"] if referrals else dict.fromkeys(REFERRAL_TOTALS)),
        **(reviews["totals"] if reviews else dict.fromkeys(REVIEW_TOTALS)),
    }
    series = (
        points["series"]
        if points
        else [
            {"date": day.isoformat(), "earned": None, "redeemed": None, "expired": None}
            for day in days.days()
        ]
    )
    return {
        "range": {"from": from_.isoformat(), "to": to.isoformat()},
        "totals": totals,
        "series": series,
        "recent": {
            "points": points["recent"] if points else [],
            "referrals": referrals["recent"] if referrals else [],
            "reviews": reviews["recent_reviews"] if reviews else [],
            "google_reviews": reviews["recent_google_reviews"] if reviews else [],
        },
        "unavailable": [
            name
            for name, part in (("points", points), ("referrals", referrals), ("reviews", reviews))
            if part is None
        ],
    }
