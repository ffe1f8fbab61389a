"""The bare framework's read paths, the anchors of the feed and of the
customer detail: nameko's `@http` and one RPC, nothing else (no auth, no
validation, no error shaping).

- `GET /feed?shop_id=&from=&to=&limit=`: one RPC to `bare_feed.page`, whose
  handler runs the feed's keyset query (the page of a shop's point
  activities newest first, joined to the member's email) on the points
  database and returns plain rows; the `@http` side answers them as JSON.
- `GET /call/<service>/<method>?shop_id=&customer_id=`: one RPC to one of
  our services, its answer as JSON: a single call of the customer detail's
  fan-out.

    AMQP_URI=… WEB_SERVER_ADDRESS=127.0.0.1:8002 BARE_DATABASE_URL=postgresql://… python -m bench.bare_api
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
from datetime import datetime  # noqa: E402

from nameko.rpc import RpcProxy, rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.bare_http import http  # noqa: E402
from services.points.models import members, point_activities  # noqa: E402
from shared.db import make_engine  # noqa: E402

engine = make_engine(os.environ.get("BARE_DATABASE_URL", "sqlite://"))
FEED = select(point_activities, members.c.email.label("customer_email")).select_from(
    point_activities.join(
        members,
        (members.c.shop_id == point_activities.c.shop_id)
        & (members.c.customer_id == point_activities.c.customer_id),
    )
)


def plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


class BareFeed:
    name = "bare_feed"

    @rpc
    def page(self, shop_id, from_, to, limit):
        occurred_at, row_id = point_activities.c.occurred_at, point_activities.c.id
        statement = (
            FEED.where(
                point_activities.c.shop_id == shop_id,
                occurred_at >= datetime.fromisoformat(from_),
                occurred_at <= datetime.fromisoformat(to),
            )
            .order_by(occurred_at.desc(), row_id.desc())
            .limit(limit + 1)
        )
        with engine.connect() as conn:
            rows = conn.execute(statement).all()
        return [{key: plain(value) for key, value in row._mapping.items()} for row in rows[:limit]]


class BareApi:
    name = "bare_api"
    feed = RpcProxy("bare_feed")
    points = RpcProxy("points")
    referrals = RpcProxy("referrals")
    reviews = RpcProxy("reviews")

    @http("GET", "/feed")
    def page(self, request):
        args = request.args
        items = self.feed.page(args["shop_id"], args["from"], args["to"], int(args.get("limit", 50)))
        return 200, {"Content-Type": "application/json"}, json.dumps({"items": items})

    @http("GET", "/call/<service>/<method>")
    def call(self, request, service, method):
        proxy = getattr(self, service)
        answer = getattr(proxy, method)(**request.args.to_dict())
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)


def main() -> None:
    runner = ServiceRunner(
        {"AMQP_URI": os.environ["AMQP_URI"], "WEB_SERVER_ADDRESS": os.environ["WEB_SERVER_ADDRESS"]}
    )
    runner.add_service(BareFeed)
    runner.add_service(BareApi)
    runner.start()
    runner.wait()


if __name__ == "__main__":
    main()
