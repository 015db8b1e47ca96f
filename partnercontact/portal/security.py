"""The portal's headers: no script but its own file, nothing cached, no referrer, no frames.
A page she has left must not come back from a shared browser's cache or history."""

from __future__ import annotations

from werkzeug.wrappers import Response

from partnercontact.headers import add_security_headers

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


def add_portal_headers(response: Response) -> Response:
    add_security_headers(response, policy=CONTENT_SECURITY_POLICY)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
