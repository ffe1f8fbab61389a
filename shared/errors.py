"""The error vocabulary every service raises and the gateway turns into
`{"error": {"code", "message", "details"}}` with the matching HTTP status.

Plain exceptions (no nameko here) so domain code can raise them; the nameko
glue registers them so they cross RPC as themselves, not as RemoteError."""

import json
from typing import Any

from pydantic import ValidationError
from typing_extensions import TypedDict  # pydantic describes it on Python 3.11 (openapi.py)


class FieldError(TypedDict):
    """One invalid field of a request: `{"field": "a.b", "message": "..."}`."""

    field: str | None
    message: str


# What an error says beyond its message: the invalid fields, or a few
# named facts (e.g. `{"reason": "already_referred"}`).
ErrorDetails = list[FieldError] | dict[str, Any] | None


class ErrorInfo(TypedDict):
    code: str
    message: str
    details: ErrorDetails


class ErrorBody(TypedDict):
    error: ErrorInfo


class LoyaltyError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: ErrorDetails | str = None):
        # nameko sends an error's args across RPC as text (None as "None",
        # 5 as "5"): the details travel as one JSON document, read back here.
        self.details: ErrorDetails = json.loads(details) if isinstance(details, str) else details
        super().__init__(message, json.dumps(self.details, default=str))
        self.message = message

    def __str__(self) -> str:
        return self.message

    def to_body(self) -> ErrorBody:
        return error_body(self.code, self.message, self.details)


class BadRequest(LoyaltyError):
    status, code = 400, "bad_request"


class Unauthorized(LoyaltyError):
    status, code = 401, "unauthorized"


class Forbidden(LoyaltyError):
    status, code = 403, "forbidden"


class NotFound(LoyaltyError):
    status, code = 404, "not_found"


class Conflict(LoyaltyError):
    status, code = 409, "conflict"


class PayloadTooLarge(LoyaltyError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(LoyaltyError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(LoyaltyError):
    status, code = 422, "unprocessable"


class TooManyRequests(LoyaltyError):
    status, code = 429, "too_many_requests"


class ServiceUnavailable(LoyaltyError):
    status, code = 503, "service_unavailable"


ALL_ERRORS = (
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    TooManyRequests,
    ServiceUnavailable,
)


def error_body(code: str, message: str, details: ErrorDetails = None) -> ErrorBody:
    return {"error": {"code": code, "message": message, "details": details}}


def validation_details(exc: ValidationError) -> list[FieldError]:
    """pydantic ValidationError -> [{"field": "a.b", "message": "..."}]. Our
    own validators' messages are shown as written, without pydantic's
    "Value error, " in front."""
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or None,
            "message": err["msg"].removeprefix("Value error, "),
        }
        for err in exc.errors()
    ]
