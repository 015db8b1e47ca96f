"""The audit log alert: on every page, managers and administrators learn that the last
check of the audit log failed, or that it has not run for too long.

The rule is :func:`partnercontact.audit.runs.audit_status`'s. Who sees it is the policy's
(:attr:`Permission.AUDIT_STATUS_VIEW`); every other role gets nothing, and no query is
made for them. For those who may see it, it costs one small indexed query per page.
"""

from __future__ import annotations

import logging

from flask import Flask, g
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from partnercontact.audit.runs import AuditStatus, audit_status
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime

log = logging.getLogger(__name__)

_CACHE = "_partnercontact_audit_status"


def _status() -> AuditStatus | None:
    if not current_user.is_authenticated or not can(current_user, Permission.AUDIT_STATUS_VIEW):
        return None
    if hasattr(g, _CACHE):
        return getattr(g, _CACHE)
    try:
        status: AuditStatus | None = audit_status(current_runtime().clock.now())
    except SQLAlchemyError as exc:
        # Pages that report a database error are rendered too; they must not fail again here.
        log.warning("audit status unavailable: %s", type(exc).__name__)
        status = None
    setattr(g, _CACHE, status)
    return status


def _inject() -> dict[str, object]:
    status = _status()
    return {"audit_alert": status if status is not None and status.alert else None}


def init_app(app: Flask) -> None:
    app.context_processor(_inject)
