"""No text of ours holds a NUL character: PostgreSQL refuses it in text,
so one sent in a path, a query or a JSON body would fail in a service's
query (a 5xx, and a traceback in its log) instead of being refused at the
door. web.py refuses it: 404 in a path (it names nothing), 422 elsewhere.
Shopify webhook bodies are checked by their own models (schemas.py)."""

from shared.errors import FieldError, Unprocessable

NUL = "\x00"


def nul_fields(value: object, where: str = "") -> list[str]:
    """Where in a JSON document (or a query) a string or a key holds a NUL."""
    if isinstance(value, str):
        return [where] if NUL in value else []
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in nul_fields(item, f"{where}.{index}")]
    if isinstance(value, dict):
        return [
            found
            for key, item in value.items()
            for found in ([f"{where}.{key}"] if NUL in str(key) else nul_fields(item, f"{where}.{key}"))
        ]
    return []


def refuse_nul(fields: list[str]) -> None:
    """422 naming each field that holds a NUL character, if any does."""
    if fields:
        details: list[FieldError] = [
            {"field": field.lstrip(".") or None, "message": "must not contain NUL characters"}
            for field in fields
        ]
        raise Unprocessable("request is not valid", details)
