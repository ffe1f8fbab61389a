"""The two ways the benchmark asks for a page of the feed: the repository
query in this process (the database's share, and its EXPLAIN), and HTTP
through the running gateway."""

from datetime import datetime

import requests
from sqlalchemy import event
from sqlalchemy.orm import Session

from services.points.repository.ledger import activities_page
from services.points.schemas import ActivitiesQuery
from shared.db import make_engine

FEED_PATH = "/api/activities/points"


class Repository:
    """The feed query as the points service runs it, minus RPC and HTTP."""

    def __init__(self, url: str, shop_id: str):
        self.engine = make_engine(url)
        self.shop_id = shop_id

    def query(self, params: dict, model=ActivitiesQuery) -> ActivitiesQuery:
        return model.model_validate({"shop_id": self.shop_id, **params})

    def run(self, query: ActivitiesQuery) -> tuple[list[tuple], str | None]:
        with Session(self.engine) as session:
            page = activities_page(session, query)
        return [(row.occurred_at, row.id) for row in page["items"]], page["next_cursor"]

    def page(self, params: dict):
        return self.run(self.query(params))

    def explain(self, params: dict) -> str:
        """EXPLAIN (ANALYZE, BUFFERS) of the statement the repository sends."""
        sent = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            sent.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", capture)
        try:
            self.page(params)
        finally:
            event.remove(self.engine, "before_cursor_execute", capture)
        statement, parameters = next(s for s in reversed(sent) if s[0].lstrip().upper().startswith("SELECT"))
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            explained = cursor.fetchone()
            if explained is None:
                raise RuntimeError("EXPLAIN returned no plan")
            plan = explained[0][0]
        finally:
            raw.rollback()
            raw.close()
        return summarize_plan(plan)

    def close(self):
        self.engine.dispose()


class Http:
    """The feed as a merchant's dashboard asks for it."""

    def __init__(self, base_url: str, admin_key: str):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {admin_key}"

    def page(self, params: dict):
        response = self.session.get(self.base_url + FEED_PATH, params=params, timeout=30)
        if response.status_code != 200:
            raise RuntimeError(f"GET {FEED_PATH} {params}: {response.status_code} {response.text[:500]}")
        body = response.json()
        keys = [
            (datetime.fromisoformat(item["occurred_at"].replace("Z", "+00:00")), item["id"])
            for item in body["items"]
        ]
        return keys, body["next_cursor"]


def summarize_plan(plan: dict) -> str:
    """`index`/`NO INDEX`, execution time, buffers, and the plan's nodes."""
    nodes, scans = [], []

    def visit(node):
        label = node["Node Type"]
        if node.get("Scan Direction") == "Backward":
            label += " Backward"
        if "Index Name" in node:
            label += f" ({node['Index Name']})"
        elif "Relation Name" in node:
            label += f" ({node['Relation Name']})"
        nodes.append(label)
        if node.get("Relation Name") == "point_activities" or "point_activities" in node.get(
            "Index Name", ""
        ):
            scans.append(node["Node Type"])
        for child in node.get("Plans", []):
            visit(child)

    visit(plan["Plan"])
    indexed = bool(scans) and all("Index" in scan for scan in scans)
    top = plan["Plan"]
    return (
        f"{'index' if indexed else 'NO INDEX'}, {plan['Execution Time']:.2f} ms, "
        f"buffers hit {top.get('Shared Hit Blocks', 0)} read {top.get('Shared Read Blocks', 0)}: "
        + " > ".join(nodes)
    )
