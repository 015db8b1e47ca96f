"""Where a portal request comes from, for the limit on failed logins per source address.

Behind a reverse proxy every request comes from the proxy, so the limit then counts all of
them together (stricter, never looser); docs/operations.md says how to pass the real address.
"""

from __future__ import annotations

from flask import request


def client_address() -> str:
    return request.remote_addr or ""
