"""`loyalty import points FILE --shop DOMAIN`: a merchant's balances from
another app, imported as `POST /api/imports/points` does (the same upload,
services/gateway/point_imports.py), straight to the points service over
RPC, with a bar for the upload and one for the rows being applied."""

import getpass
import os
import time

from nameko.standalone.rpc import ClusterRpcProxy
from tqdm import tqdm

from services.gateway.auth import find_shop_by_domain
from services.gateway.operations import cli_unit_of_work
from services.gateway.point_imports import upload_points_file
from shared import config, rpc_errors
from shared.errors import NotFound

POLL_SECONDS = 0.5


def import_points_file(path: str, domain: str) -> dict:
    """Upload and apply the file; the import as GET /api/imports/{id} shows it."""
    with cli_unit_of_work() as uow:
        shop = find_shop_by_domain(uow.session, domain)
    if shop is None:
        raise NotFound(f"no shop {domain}")
    actor = f"operator:{getpass.getuser()}"
    rpc_errors.install()  # the service's refusals arrive as our errors, with their details
    with ClusterRpcProxy({"AMQP_URI": config.amqp_uri()}, timeout=config.rpc_timeout_seconds()) as cluster:
        points = cluster.points

        def call(method, **arguments):
            return getattr(points, method)(**arguments)

        with (
            open(path, "rb") as file,
            tqdm(total=os.path.getsize(path), unit="B", unit_scale=True, desc="upload") as sent,
        ):
            import_id = upload_points_file(
                call, shop.id, actor, file, os.path.basename(path), size=sent.total, on_read=sent.update
            )
        with tqdm(desc="rows", unit=" rows") as applied:
            while True:
                state = points.get_import(shop_id=shop.id, import_id=import_id)
                applied.total = state["rows_total"]
                applied.update(state["rows_done"] + state["rows_failed"] - applied.n)
                if state["status"] != "running":  # done, or failed (docs/imports.md)
                    return state
                time.sleep(POLL_SECONDS)
