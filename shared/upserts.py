"""INSERT ... ON CONFLICT, four ways: insert unless the row exists (and
return it if new), the same for many rows at once, add to a row's
counters, and fill in a row's known values.

SQLAlchemy 2.0 compiles the dialects' ON CONFLICT inserts anew on every
execution (neither their Insert nor their conflict clauses take part in
its statement cache), which profiling showed as a sixth of the points
service's time under load. Each of ours has a fixed shape, set by the
table and the names of the columns given (the conflict target is the
primary key, or none): so each shape gets its own Insert class per
dialect, which SQLAlchemy keys on with the table (and the parameter names,
part of its compiled cache's key), the statement is built once per shape,
table and columns, and every execution passes its values as parameters."""

import functools
from typing import Any

from sqlalchemy import Insert, Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Row
from sqlalchemy.orm import Session

from shared.db import cursor_result

_DIALECTS = {"postgresql": postgresql, "sqlite": sqlite}


@functools.cache
def _insert_class(dialect: str, shape: str) -> type[Insert]:
    return type(f"{shape}_{dialect}_insert", (_DIALECTS[dialect].Insert,), {"inherit_cache": True})


@functools.cache
def _conflict_class(dialect: str, update: bool) -> type:
    dml = _DIALECTS[dialect].dml
    base = dml.OnConflictDoUpdate if update else dml.OnConflictDoNothing
    # What the clause says is set by the Insert class's shape and the
    # columns, already in the key: nothing more to traverse.
    return type(base.__name__, (base,), {"_traverse_internals": []})


@functools.cache
def _statement(
    dialect: str, shape: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...]
) -> Insert:
    statement = _insert_class(dialect, shape)(table)
    if shape == "ignore_returning":
        statement = statement.returning(*table.c)
    if shape.startswith("ignore"):
        statement._post_values_clause = _conflict_class(dialect, False)()
        return statement
    excluded = statement.excluded  # type: ignore[attr-defined]
    set_ = {
        name: table.c[name] + excluded[name]
        if shape == "add"
        else func.coalesce(excluded[name], table.c[name])
        for name in columns
    }
    statement._post_values_clause = _conflict_class(dialect, True)(index_elements=list(key), set_=set_)
    return statement


def _execute(
    session: Session, shape: str, table: Table, key: dict[str, Any], values: dict[str, Any]
) -> CursorResult[Any]:
    statement = _statement(session.get_bind().dialect.name, shape, table, tuple(key), tuple(values))
    return cursor_result(session.execute(statement, {**key, **values}))


def insert_unless_exists(session: Session, table: Table, **values: Any) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True if the row was inserted. Lets
    concurrent first-timers (two events creating one member) both succeed."""
    inserted: int = _execute(session, "ignore", table, {}, values).rowcount
    return inserted == 1


def insert_returning_unless_exists(session: Session, table: Table, **values: Any) -> Row[Any] | None:
    """insert_unless_exists in one round trip with the new row (RETURNING):
    None if the row already existed."""
    return _execute(session, "ignore_returning", table, {}, values).first()


def insert_many_unless_exist(
    session: Session, table: Table, rows: list[dict[str, Any]], returning: str
) -> list[Any]:
    """insert_unless_exists for many rows in one statement: the `returning`
    column's values of the rows that were new (a bulk path runs it once per
    batch, so it needs none of the statement caching above)."""
    if not rows:
        return []
    statement = (
        _DIALECTS[session.get_bind().dialect.name]
        .insert(table)
        .on_conflict_do_nothing()
        .returning(table.c[returning])
    )
    return list(session.execute(statement, rows).scalars())


def add_to_counters(session: Session, table: Table, key: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add `deltas` to the counter columns of the row `key` names, making
    the row (counters from zero) if it is new: one INSERT ... ON CONFLICT DO
    UPDATE SET c = c + excluded.c, so concurrent writers of one row each
    keep their increment. `key` must be the table's primary key."""
    if any(deltas.values()):
        _execute(session, "add", table, key, deltas)


def upsert_known(session: Session, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Make or update the row `key` (its primary key) names, keeping a
    column's current value where `values` has None for it: a copy of what
    other services tell, filled in from whichever event says most."""
    _execute(session, "known", table, key, values)
