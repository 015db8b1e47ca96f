"""The worker: APScheduler only ticks; the work and its state live in our own tables."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from partnercontact.audit.jobs import verify_audit_nightly
from partnercontact.auth.jobs import purge_sessions
from partnercontact.logsafe import describe_exception
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.retention import schedule_daily_duties
from partnercontact.tasks.queue import dispatch_due

log = logging.getLogger(__name__)

# Each duty is a plain function run in an application context; it commits its own work.
DUTIES: tuple[Callable[[], object], ...] = (
    purge_sessions,
    schedule_daily_duties,
    dispatch_due,
    send_due_sms,
    verify_audit_nightly,
)


def tick(app: Flask) -> None:
    """Run every duty once. A failing duty is logged and does not stop the others."""
    for duty in DUTIES:
        with app.app_context():
            try:
                duty()
            except Exception as exc:
                log.error("duty %s failed: %s", duty.__name__, describe_exception(exc))


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
    seconds = app.extensions["partnercontact"].config.worker.tick_seconds
    scheduler.add_job(
        tick,
        "interval",
        seconds=seconds,
        args=[app],
        id="tick",
        max_instances=1,
        coalesce=True,
        # The first tick at start, not one interval later: whatever fell due while no worker
        # ran (the tasks are rows, so nothing was forgotten) is caught up at once.
        next_run_time=datetime.now(UTC),
    )
    return scheduler
