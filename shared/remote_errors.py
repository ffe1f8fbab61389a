"""Our errors (shared.errors) cross RPC as themselves, status and details
intact, instead of arriving as nameko's RemoteError: registered with nameko
when this module is imported. shared.database imports it, so every service
(each has a Database) registers them before its first call."""

from nameko.exceptions import deserialize_to_instance

from shared import errors

for _error in errors.ALL_ERRORS:
    deserialize_to_instance(_error)
