from sqlalchemy import Column, Integer, String, Table

from shared.db import BigId, service_metadata

metadata = service_metadata()

things = Table(
    "things",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("seen", Integer, nullable=False, default=0),
)
