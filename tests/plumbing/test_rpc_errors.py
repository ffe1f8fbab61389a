"""Our errors keep their details across RPC, as the gateway must answer
them: nameko would send them as text ("None", "5")."""

import pytest
from nameko.exceptions import deserialize, serialize

from shared import rpc_errors
from shared.errors import Conflict, NotFound

pytestmark = pytest.mark.unit  # pure: no broker, no database (make test-unit)


@pytest.mark.parametrize(
    "error",
    [
        NotFound("discount code X does not exist"),
        Conflict("not enough points", {"balance": 5, "needed": 10, "excluded": False, "tier": None}),
        NotFound("bad fields", [{"field": None, "message": "is required"}]),
    ],
)
def test_an_error_arrives_as_it_was_raised(error):
    rpc_errors.install()

    arrived = deserialize(serialize(error))

    assert type(arrived) is type(error)
    assert arrived.message == error.message
    assert arrived.details == error.details
    assert arrived.to_body() == error.to_body()
