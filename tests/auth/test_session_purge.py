"""The worker's duty that removes expired sessions, as the scheduler runs it."""

from __future__ import annotations

from sqlalchemy import func, select

from partnercontact.auth.models import WebSession
from partnercontact.db import db
from partnercontact.worker import tick
from tests.factories import Factory
from tests.helpers import log_in


def _sessions() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(WebSession))


def test_a_tick_removes_idle_sessions_and_keeps_live_ones(app, factory: Factory, clock) -> None:
    stale, fresh = app.test_client(), app.test_client()
    log_in(stale, factory.client_treater(), clock)
    clock.advance(minutes=10)
    log_in(fresh, factory.partner_treater(), clock)
    assert _sessions() == 2
    clock.advance(minutes=6)  # the first is now 16 minutes idle, the second 6
    tick(app)
    assert _sessions() == 1
    assert fresh.get("/partner/").status_code == 200
