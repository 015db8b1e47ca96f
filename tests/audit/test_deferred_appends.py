"""Web requests add their audit events to the chain when they commit, so one slow request
(a long page, a big export) does not hold every other audited request back."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import audit_mac_key, defer_appends_until_commit, record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.audit.verify import verify_chain
from partnercontact.db import db


def _record_elsewhere(app: Flask, backend: str, errors: list[BaseException]) -> None:
    """Another request, in its own session, records an event and commits at once."""
    try:
        with app.app_context():
            if backend == "postgresql":
                # Waiting for the chain's lock becomes an error instead of a hang.
                db.session.execute(text("SET lock_timeout = '5s'"))
            record_event(AuditAction.CLIENT_VIEWED, actor_id=None, resource_type="client_list")
            db.session.commit()
    except BaseException as exc:  # noqa: BLE001  (reported to the test's thread)
        errors.append(exc)


def test_a_request_holds_the_chain_only_while_it_commits(app: Flask, backend: str, clock) -> None:
    defer_appends_until_commit()
    slow = record_event(AuditAction.PARTNER_CASE_VIEWED, actor_id=None, resource_type="case_list")
    # Still rendering its page: its event waits, and so does nothing else.
    errors: list[BaseException] = []
    other = threading.Thread(target=_record_elsewhere, args=(app, backend, errors))
    other.start()
    other.join(timeout=60)
    assert not other.is_alive() and errors == []

    db.session.commit()
    assert slow.seq == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 2
    assert verify_chain(db.session, audit_mac_key()).ok


def test_a_request_that_fails_leaves_no_event(app: Flask) -> None:
    defer_appends_until_commit()
    record_event(AuditAction.PARTNER_CASE_VIEWED, actor_id=None, resource_type="case_list")
    db.session.rollback()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0
