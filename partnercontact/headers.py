"""The security headers every page of either app carries, under that app's own policy."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from partnercontact.runtime import current_runtime


def add_security_headers(response: Response, *, policy: str) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = policy
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    # Pages may carry personal data: never keep them in a shared browser's cache. Static
    # assets carry none and may be cached.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_runtime().config.server.tls:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response
