"""Scheduled duties of the accounts package."""

from __future__ import annotations

import logging
from datetime import timedelta

from partnercontact.auth.sessions import purge_expired_sessions
from partnercontact.db import db
from partnercontact.runtime import current_runtime

log = logging.getLogger(__name__)


def purge_sessions() -> int:
    """Delete expired browser sessions; run by the worker and as `partnercontact jobs`."""
    runtime = current_runtime()
    auth = runtime.config.auth
    removed = purge_expired_sessions(
        runtime.clock.now(),
        timedelta(minutes=auth.session_idle_minutes),
        timedelta(hours=auth.session_absolute_hours),
    )
    db.session.commit()
    if removed:
        log.info("purged %d expired sessions", removed)
    return removed
