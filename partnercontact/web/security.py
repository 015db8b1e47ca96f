"""Security headers on every response, error pages included."""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

from partnercontact.headers import add_security_headers

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


def _add_security_headers(response: Response) -> Response:
    return add_security_headers(response, policy=CONTENT_SECURITY_POLICY)


def init_app(app: Flask) -> None:
    app.after_request(_add_security_headers)
