"""Security headers on every response, error pages included."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

from partnercontact.runtime import current_runtime

# No inline script or style anywhere: the policy below would block it, which is the point.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
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
    # Pages may carry personal data: never keep them in a shared browser's cache. Static
    # assets carry none and may be cached.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_runtime().config.server.tls:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
