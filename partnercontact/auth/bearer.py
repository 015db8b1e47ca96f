"""Who an API request acts as: the owner of the token in ``Authorization: Bearer``."""

from __future__ import annotations

from flask import Request

from partnercontact.auth.models import User
from partnercontact.auth.tokens import user_for_token

API_PATH = "/api/"


def is_api_request(request: Request) -> bool:
    return request.path.startswith(API_PATH)


def user_from_request(request: Request) -> User | None:
    """flask-login's request loader: only API requests, only bearer tokens."""
    if not is_api_request(request):
        return None
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return user_for_token(secret.strip())
