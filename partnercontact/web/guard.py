"""The one request hook that applies the access policy to every route.

Deny by default: a route whose view declares neither ``public`` nor ``requires`` answers
403 even to a logged-in administrator, and the route-coverage test fails the suite. A denied
request for a route about one record answers 404 instead, as if the record did not exist.
A logged-in user who has yet to replace a password an administrator gave is sent to the page
that replaces it, from every route but the public ones.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.bearer import is_api_request
from partnercontact.db import db
from partnercontact.policy import can
from partnercontact.policy.access import declared_permission, is_public

# Where a user whose password was given by an administrator may go until it is replaced;
# public routes (logout, language, health) and static files are reached before the check.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"account.overview", "account.change_password"})


def wants_json() -> bool:
    return is_api_request(request)


def enforce_policy() -> Response | None:
    if request.url_rule is None:
        return None  # routing already failed: 404 or 405 follows
    view = current_app.view_functions.get(request.endpoint or "")
    if request.endpoint == "static" or is_public(view):
        return None
    permission = declared_permission(view)
    if permission is None:
        abort(403)
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("public.login", next=target))
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        # A one-time password opens nothing but the page that replaces it. (The API never
        # gets here: user_for_token refuses such an account's tokens.)
        if wants_json():
            abort(401)
        return redirect(url_for("account.overview"))
    if not can(current_user, permission):
        record_event(
            AuditAction.ACCESS_DENIED,
            actor_id=current_user.id,
            clinic_id=current_user.clinic_id,
            resource_type="route",
            resource_id=request.endpoint,
            outcome=Outcome.DENIED,
        )
        db.session.commit()
        # A route about one record (a client, a consent, a partner case) answers a request
        # from the wrong side exactly as it answers for a record that does not exist: 404,
        # so the status cannot tell anyone whether the record is there.
        abort(404 if request.view_args else 403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce_policy)
