"""Deciding access, and declaring it on views.

Every view is either declared public with :func:`public` or bound to one permission with
:func:`requires`. The request hook in ``partnercontact.web.guard`` denies anything else, and
:func:`undeclared_endpoints` lets a test fail the suite for a route that declares neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from partnercontact.policy.roles import ROLE_PERMISSIONS, Permission, Role

if TYPE_CHECKING:
    from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ATTR = "_policy_public"
PERMISSION_ATTR = "_policy_permission"


def can(actor: Any, permission: Permission) -> bool:
    """True when ``actor`` holds ``permission``. Unknown roles, inactive or absent users hold
    nothing."""
    if actor is None or not getattr(actor, "is_active", False):
        return False
    try:
        role = Role(getattr(actor, "role", ""))
    except ValueError:
        return False
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def public(view: F) -> F:
    """Mark a view as reachable without logging in (login, health check, language)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def requires(permission: Permission) -> Callable[[F], F]:
    """Bind a view to the one permission a user must hold to reach it."""

    def mark(view: F) -> F:
        setattr(view, PERMISSION_ATTR, permission)
        return view

    return mark


def declared_permission(view: Callable[..., Any] | None) -> Permission | None:
    return getattr(view, PERMISSION_ATTR, None)


def is_public(view: Callable[..., Any] | None) -> bool:
    return bool(getattr(view, PUBLIC_ATTR, False))


def undeclared_endpoints(app: Flask) -> list[str]:
    """Endpoints in the URL map whose view declares neither ``public`` nor ``requires``."""
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions.get(rule.endpoint)
        if not is_public(view) and declared_permission(view) is None:
            missing.append(rule.endpoint)
    return sorted(set(missing))
