"""What the services' RPC entrypoints share: the arguments a caller
actually gave, and a read or a command run in a unit of work of the
service's `db` (a command in `Database.transaction`, which runs it again
after a lost race)."""

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from shared.database import Database
from shared.db import UnitOfWork
from shared.pagination import Page

ResultT = TypeVar("ResultT")


def provided(**params: Any) -> dict[str, Any]:
    """The arguments a caller actually gave: a None is "not given", so the
    schema's default applies or its "field required" names the field."""
    return {name: value for name, value in params.items() if value is not None}


def page_json(result: Page[Any]) -> dict[str, Any]:
    """A page of pydantic models as the RPC answers it."""
    return {
        "items": [item.model_dump(mode="json") for item in result["items"]],
        "next_cursor": result["next_cursor"],
    }


class HasDatabase(Protocol):
    db: Database


class UnitOfWorkCalls:
    """Mixed into a service class that has a `db` (shared.database.Database)."""

    def _read(self: HasDatabase, query: Callable[..., ResultT], *args: Any) -> ResultT:
        with self.db.unit_of_work() as uow:
            return query(uow, *args)

    def _command(self: HasDatabase, operation: Callable[..., ResultT], *args: Any) -> ResultT:
        def work(uow: UnitOfWork) -> ResultT:
            return operation(uow, *args)

        done: ResultT = self.db.transaction(work)
        return done
