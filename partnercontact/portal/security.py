"""The portal's headers: no script but its own file, nothing cached, no referrer, no frames.
A page she has left must not come back from a shared browser's cache or history."""

from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from partnercontact.runtime import current_runtime

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["X-Robots-Tag"] = "noindex, nofollow"
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_runtime().config.server.tls:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response
