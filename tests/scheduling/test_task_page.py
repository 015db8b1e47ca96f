"""The administrators' task page: counts per kind and state, and the tasks that failed for real
in the dispatcher, with their attempts and error; nothing personal, and nothing of another
clinic."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from flask import Flask
from sqlalchemy import select

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.partner_side.scheduling import kinds
from partnercontact.runtime import current_runtime
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import dispatch_due, schedule
from tests.factories import Factory
from tests.helpers import text_of
from tests.partners.conftest import handed_over_case
from tests.scheduling.test_calendar_pages import logged_in, utc

PARTNER_NAME = "Tova Köhemlig"
PARTNER_PHONE = "070-404 40 40"


def broken_task(clinic: Clinic, key: str) -> ScheduledTask:
    """A first-contact reminder that names no case: its handler cannot find what it is about
    and fails every time it runs."""
    task = schedule(
        kinds.FIRST_CONTACT_DUE, current_runtime().clock.now(), key, clinic_id=clinic.id
    )
    db.session.commit()
    return task


def retired_task(clinic: Clinic) -> ScheduledTask:
    """A row of a kind no handler runs (left by an older version), added without schedule()."""
    task = ScheduledTask(
        id=uuid.uuid4(),
        kind="retired_kind",
        due_at=current_runtime().clock.now(),
        state="pending",
        attempts=0,
        idempotency_key=f"retired:{uuid.uuid4()}",
        clinic_id=clinic.id,
        created_at=current_runtime().clock.now(),
    )
    db.session.add(task)
    db.session.commit()
    return task


def run_until_given_up(clock) -> None:
    """The dispatcher, again and again as the retries fall due, until it gives up."""
    attempts = current_runtime().config.worker.max_attempts
    for _ in range(attempts):
        dispatch_due()
        clock.advance(hours=2)


def reloaded(task: ScheduledTask) -> ScheduledTask:
    db.session.expire_all()
    found = db.session.get(ScheduledTask, task.id)
    assert found is not None
    return found


def cell(page: str, row_id: str, state: str) -> str:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert row, row_id
    match = re.search(rf'<td class="count-{state}">(\d+)</td>', row.group(1))
    assert match, (row_id, state)
    return match.group(1)


@pytest.fixture
def failed(factory: Factory, clock) -> dict[str, ScheduledTask]:
    clinic = factory.default_clinic
    elsewhere = factory.clinic()
    # A real case: its first-contact reminder waits for 20 January, then runs and is done.
    handed_over_case(factory, clock, name=PARTNER_NAME, phone=PARTNER_PHONE)
    tasks = {
        "broken": broken_task(clinic, "first_contact_due:no-case"),
        "retired": retired_task(clinic),
        "elsewhere": broken_task(elsewhere, "first_contact_due:no-case-elsewhere"),
    }
    run_until_given_up(clock)
    return tasks


def test_a_task_that_keeps_failing_is_listed_with_its_error(
    app: Flask, factory: Factory, failed: dict[str, ScheduledTask], clock
) -> None:
    broken = reloaded(failed["broken"])
    retired = reloaded(failed["retired"])
    attempts = current_runtime().config.worker.max_attempts
    assert broken.state == "failed" and broken.attempts == attempts and broken.last_error
    assert retired.state == "failed" and retired.last_error == "UnknownTaskKind"
    client = logged_in(app, factory.admin(), clock)
    page = text_of(client.get("/admin/tasks"))
    failed_table = page[page.index('id="failed-tasks"') :]
    for task in (broken, retired):
        row = failed_table[failed_table.index(f'id="task-{task.id}"') :]
        row = row[: row.index("</tr>")]
        assert f"<code>{task.last_error}</code>" in row
        assert f"<td>{attempts}</td>" in row
        # Given up at the last run, two hours apart from the first at 10:00 (clinic's clocks).
        assert f"<td>2026-01-15 {10 + 2 * (attempts - 1)}:00</td>" in row
    assert "retired_kind" in failed_table  # a kind without a label is shown as it is
    assert str(failed["elsewhere"].id) not in page


def test_the_counts_are_per_kind_and_state_of_the_admins_clinic(
    app: Flask, factory: Factory, failed: dict[str, ScheduledTask], clock
) -> None:
    client = logged_in(app, factory.admin(), clock)
    page = text_of(client.get("/admin/tasks"))
    assert cell(page, "kind-first_contact_due", "failed") == "1"  # not the other clinic's
    assert cell(page, "kind-first_contact_due", "pending") == "1"  # the real case's
    assert cell(page, "kind-first_contact_due", "done") == "0"
    assert cell(page, "kind-retired_kind", "failed") == "1"

    clock.set(utc(2026, 1, 21, 8, 0))
    dispatch_due()
    page = text_of(logged_in(app, factory.admin(), clock).get("/admin/tasks"))
    assert cell(page, "kind-first_contact_due", "pending") == "0"
    assert cell(page, "kind-first_contact_due", "done") == "1"


def test_the_task_page_holds_nothing_personal_and_its_reading_is_audited(
    app: Flask, factory: Factory, failed: dict[str, ScheduledTask], clock
) -> None:
    admin = factory.admin()
    client = logged_in(app, admin, clock)
    page = text_of(client.get("/admin/tasks"))
    for text in (PARTNER_NAME, "Köhemlig", "404 40 40", "0704044040", "Kalle Testsson"):
        assert text not in page
    assert "/partner/cases/" not in page
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == AuditAction.TASKS_VIEWED)
    )
    assert event is not None and event.actor_id == admin.user.id


def test_an_empty_queue_says_so(app: Flask, factory: Factory, clock) -> None:
    page = text_of(logged_in(app, factory.admin(), clock).get("/admin/tasks"))
    assert 'id="no-failed-tasks"' in page
    assert 'id="task-counts"' not in page


def test_the_installations_own_work_is_counted_for_every_clinic(
    app: Flask, factory: Factory, clock
) -> None:
    schedule(kinds.RETENTION_PURGE, datetime(2026, 1, 16, 2, 0, tzinfo=clock.now().tzinfo), "p1")
    db.session.commit()
    page = text_of(logged_in(app, factory.admin(), clock).get("/admin/tasks"))
    assert cell(page, "kind-retention_purge", "pending") == "1"


@pytest.mark.parametrize("role", ["client_treater", "partner_treater", "manager"])
def test_only_administrators_see_the_task_page(
    app: Flask, factory: Factory, clock, role: str
) -> None:
    client = logged_in(app, getattr(factory, role)(), clock)
    assert client.get("/admin/tasks").status_code == 403
    assert 'href="/admin/tasks"' not in text_of(client.get("/account/"))


def test_a_task_left_waiting_past_its_time_says_the_worker_is_behind(
    app: Flask, factory: Factory, clock
) -> None:
    # Due 09:55 on the clinic's clocks; no worker runs it.
    clock.set(utc(2026, 1, 15, 8, 55))
    clinic = factory.default_clinic
    schedule(kinds.FIRST_CONTACT_DUE, clock.now(), "first_contact_due:waiting", clinic_id=clinic.id)
    db.session.commit()

    clock.set(utc(2026, 1, 15, 9, 4))  # nine minutes late: a worker may be at its next tick
    client = logged_in(app, factory.admin(), clock)
    assert 'id="worker-behind"' not in text_of(client.get("/admin/tasks"))

    clock.set(utc(2026, 1, 15, 9, 6))
    page = text_of(client.get("/admin/tasks"))
    notice = page[page.index('id="worker-behind"') :]
    assert "2026-01-15 09:55" in notice[: notice.index("</div>")]

    dispatch_due()  # tried (it names no case, so it fails and waits for its retry)
    assert 'id="worker-behind"' not in text_of(client.get("/admin/tasks"))
