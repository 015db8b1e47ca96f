"""The API's documentation as a page: generated from the OpenAPI document, so it cannot
drift from what the API does, and served from here (no scripts from elsewhere)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from partnercontact.policy import ROLE_PERMISSIONS, Permission, public
from partnercontact.policy.access import declared_permission

bp = Blueprint("api_docs_page", __name__, url_prefix="/api/v1", template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


def permissions_by_operation() -> dict[tuple[str, str], Permission]:
    """(OpenAPI path, lower-case method) -> the permission its view requires."""
    found: dict[tuple[str, str], Permission] = {}
    for rule in current_app.url_map.iter_rules():
        permission = declared_permission(current_app.view_functions.get(rule.endpoint))
        if permission is None or not rule.rule.startswith("/api/"):
            continue
        path = openapi_path(rule.rule)
        # Flask gives every rule its methods; werkzeug's type also admits a rule without.
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = permission
    return found


def openapi_path(rule: str) -> str:
    # /api/v1/clients/<uuid:client_id> -> /api/v1/clients/{client_id}
    parts = []
    for part in rule.split("/"):
        if part.startswith("<") and part.endswith(">"):
            part = "{" + part[1:-1].split(":")[-1] + "}"
        parts.append(part)
    return "/".join(parts)


def _roles_holding(permission: Permission) -> list[str]:
    return sorted(role.value for role, held in ROLE_PERMISSIONS.items() if permission in held)


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    permissions = permissions_by_operation()
    roles_of = {permission: _roles_holding(permission) for permission in set(permissions.values())}
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            permission = permissions.get((path, method))
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (operation.get("tags") or [""])[0],
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [*item.get("parameters", []), *operation.get("parameters", [])],
                    "body": operation.get("requestBody"),
                    "responses": operation.get("responses", {}),
                    "permission": permission,
                    "roles": roles_of.get(permission, []) if permission is not None else [],
                }
            )
    return sorted(found, key=lambda op: (op["tag"], op["path"], op["method"]))


@bp.route("/docs")
@public
def page() -> str:
    api = current_app.extensions["partnercontact-api"]
    spec = api.spec.to_dict()
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=operations(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
    )
