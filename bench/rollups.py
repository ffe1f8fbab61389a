"""The overview's daily roll-ups of a seeded database, computed from its
rows at once: each service keeps `daily_totals` in the transaction of every
change, which COPY bypasses, so the benchmark fills them afterwards with the
statements its migrations backfilled them with (points 0005, referrals
0004 and 0006, reviews 0005 and 0007), on PostgreSQL. The overview reads
only these."""

DAY = "CAST(({column} AT TIME ZONE 'UTC') AS DATE)"  # the UTC day, whatever the session's zone

POINT_TYPES = ("earned", "redeemed", "refunded", "expired", "adjusted")
REVIEW_KINDS = {"review": "reviews", "google_review": "google_review_submissions"}
REVIEW_COUNTS = ("pending", "approved", "rejected", "points")


def _day(column: str) -> str:
    return DAY.format(column=column)


def points_sql() -> str:
    """The ledger's points per type and day, members who joined, and
    exclusions less re-inclusions (the audit trail)."""
    per_type = ", ".join(
        f"CASE WHEN type = '{kind}' THEN points ELSE 0 END AS {kind}_points" for kind in POINT_TYPES
    )
    no_points = ", ".join(f"0 AS {kind}_points" for kind in POINT_TYPES)
    sums = ", ".join(f"SUM({kind}_points)" for kind in POINT_TYPES)
    return f"""
        INSERT INTO daily_totals (shop_id, day, {", ".join(f"{kind}_points" for kind in POINT_TYPES)},
                                  new_members, excluded_members)
        SELECT shop_id, day, {sums}, SUM(new_members), SUM(excluded_members)
        FROM (
            SELECT shop_id, {_day("occurred_at")} AS day, {per_type},
                   0 AS new_members, 0 AS excluded_members
            FROM point_activities
            UNION ALL
            SELECT shop_id, {_day("created_at")}, {no_points}, 1, 0
            FROM members
            UNION ALL
            SELECT shop_id, {_day("occurred_at")}, {no_points}, 0,
                   CASE WHEN action = 'customer_excluded' THEN 1 ELSE -1 END
            FROM audit_log
            WHERE action IN ('customer_excluded', 'customer_included')
        ) AS changes
        GROUP BY shop_id, day
        """


def referrals_sql() -> str:
    """Per day a referral was claimed on: its status now, its referrer's reward."""
    day = _day("occurred_at")
    return f"""
        INSERT INTO daily_totals (shop_id, day, pending, completed, cancelled, reward_points)
        SELECT shop_id, {day},
               SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END),
               COALESCE(SUM(referrer_reward_points), 0)
        FROM referrals
        GROUP BY shop_id, {day}
        """


def _review_items(kind: str, table: str) -> str:
    """One kind's items as rows of the roll-up's columns (the other kind's at 0)."""
    points = "COALESCE(reward_points, 0)" + (" + COALESCE(photo_bonus_points, 0)" if kind == "review" else "")
    columns = []
    for other in REVIEW_KINDS:
        for count in REVIEW_COUNTS:
            if other != kind:
                value = "0"
            elif count == "points":
                value = points
            else:
                value = f"CASE WHEN status = '{count}' THEN 1 ELSE 0 END"
            columns.append(f"{value} AS {other}_{count}")
    return f"SELECT shop_id, {_day('occurred_at')} AS day, {', '.join(columns)} FROM {table}"


def reviews_sql() -> str:
    """Per day an item was submitted on: its status now and the points it earned, per kind."""
    names = [f"{kind}_{count}" for kind in REVIEW_KINDS for count in REVIEW_COUNTS]
    items = " UNION ALL ".join(_review_items(kind, table) for kind, table in REVIEW_KINDS.items())
    return f"""
        INSERT INTO daily_totals (shop_id, day, {", ".join(names)})
        SELECT shop_id, day, {", ".join(f"SUM({name})" for name in names)}
        FROM ({items}) AS items
        GROUP BY shop_id, day
        """


def link_clicks_sql() -> str:
    """Clicks on referral links per day (referrals 0006)."""
    day = _day("occurred_at")
    return f"""
        INSERT INTO daily_totals (shop_id, day, pending, completed, cancelled, reward_points, link_clicks)
        SELECT shop_id, {day}, 0, 0, 0, 0, COUNT(*)
        FROM link_clicks
        GROUP BY shop_id, {day}
        ON CONFLICT (shop_id, day) DO UPDATE SET link_clicks = excluded.link_clicks
        """


def rating_sums_sql() -> str:
    """The reviews' ratings summed per day they were submitted on (reviews 0007)."""
    day = _day("occurred_at")
    return f"""
        UPDATE daily_totals SET review_rating_sum = sums.rating_sum
        FROM (SELECT shop_id, {day} AS day, SUM(rating) AS rating_sum
              FROM reviews GROUP BY shop_id, {day}) AS sums
        WHERE daily_totals.shop_id = sums.shop_id AND daily_totals.day = sums.day
        """


ROLLUPS = {
    "points": [points_sql],
    "referrals": [referrals_sql, link_clicks_sql],
    "reviews": [reviews_sql, rating_sums_sql],
}


def fill(cursor, service: str) -> None:
    """Replace the service's roll-ups with the sums of its rows (a DB-API cursor)."""
    cursor.execute("DELETE FROM daily_totals")
    for statement in ROLLUPS[service]:
        cursor.execute(statement())
