"""Our errors across RPC. Registered with nameko, so they reach the caller
as themselves (status and details intact). And logged, by the service whose
method refused a call with one (a client's mistake: a 4xx), as one INFO
line instead of a failed worker with its traceback: the caller answers the
refusal, and anyone on the internet could otherwise fill the logs."""

import logging

from nameko.exceptions import deserialize_to_instance

from shared.errors import ALL_ERRORS, LoyaltyError


class RefusalsAsOneLine(logging.Filter):
    """On nameko's container logger: a worker that raised one of our 4xx
    errors, or an exception its entrypoint expects (an event already
    handled, a refused HTTP request), is logged at INFO, without its
    traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, LoyaltyError) and exc.status < 500:
            record.msg = "%s refused the call: %s"
        elif not (isinstance(record.msg, str) and record.msg.startswith("(expected)")):
            return True
        record.exc_info, record.exc_text = None, None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def install() -> None:
    for error in ALL_ERRORS:
        deserialize_to_instance(error)
    containers = logging.getLogger("nameko.containers")
    if not any(isinstance(f, RefusalsAsOneLine) for f in containers.filters):
        containers.addFilter(RefusalsAsOneLine())
