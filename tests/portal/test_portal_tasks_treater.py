"""What she asks for in her portal, from her treater's side: the open tasks on her case page
(urgent first, with her window or her words), marked seen to with a form that names the task,
and counted on the treater's home page. Her report of new violence is seen to with the urgent
task it opened. Another treater, or a task of another case, is not found; of two treaters
marking one task at once, one wins; two requests to be told at once open one task."""

from __future__ import annotations

import threading
import uuid
from datetime import date, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partner_side import portal_requests, portal_tasks
from partnercontact.partner_side.models import UrgentTask
from partnercontact.partner_side.portal_access import PortalIdentity
from partnercontact.partner_side.portal_tasks_models import PortalTask
from tests.factories import Factory
from tests.helpers import case_view, log_in, submit, text_of
from tests.messaging.sending import Held, held_for_sms

TODAY = date(2026, 1, 15)
HER_WORDS = "Han har skickat hotfulla sms hela veckan."


def _her(held: Held) -> PortalIdentity:
    """Her acts as the portal makes them: the services take her identity."""
    return PortalIdentity(access_id=uuid.uuid4(), partner_case_id=held.case.id)


def _call_me(held: Held, days: int = 1) -> PortalTask:
    task = portal_requests.ask_to_be_called(
        _her(held), day=TODAY + timedelta(days=days), from_time=time(12), until_time=time(13)
    )
    db.session.commit()
    return task


def _report(held: Held) -> PortalTask:
    task = portal_requests.report_new_violence(_her(held), HER_WORDS)
    db.session.commit()
    return task


def _open() -> list[PortalTask]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(PortalTask).where(PortalTask.handled_at.is_(None))))


def _seen_to(client: FlaskClient, held: Held, task_id: object, case_id: object = None):
    case_page = f"/partner/cases/{case_id or held.case.id}"
    return submit(
        client,
        f"/partner/cases/{held.case.id}",
        {"task_id": str(task_id)},
        action=f"{case_page}/portal/tasks/seen-to",
    )


def test_her_treater_sees_her_requests_urgent_first_and_marks_one_seen_to(
    client: FlaskClient, held: Held, clock
) -> None:
    call = _call_me(held)
    clock.advance(minutes=1)
    _report(held)
    log_in(client, held.holder, clock)

    home = text_of(client.get("/partner/"))
    assert f'id="work-portal_task-{held.case.id.hex[:8]}"' in home
    assert "Önskemål från henne i hennes egen kanal: 2" in home
    assert f"{case_view(held.case.id, 'portal-tasks')}#portal-tasks" in home

    page = text_of(client.get(case_view(held.case.id, "portal-tasks")))
    tasks = page.split('id="portal-task-list"')[1].split("</table>")[0]
    # Urgent first, though it came later; her window and her words, in full.
    assert tasks.index("Hon rapporterar nytt våld eller hot") < tasks.index(
        "Hon ber om att bli uppringd"
    )
    assert HER_WORDS in tasks and "2026-01-16 12:00–13:00" in tasks
    # Her report is seen to by handling its urgent task, which the urgent section shows too.
    assert "Registrera hanteringen …" in tasks
    urgent = text_of(client.get(case_view(held.case.id, "urgent")))
    assert "Rapporterat av henne i hennes portal" in urgent.split('id="urgent"')[1]

    done = _seen_to(client, held, call.id)
    assert done.status_code == 302 and done.headers["Location"].endswith("#portal-tasks")
    [left] = _open()
    assert left.kind == "new_violence"
    stored = db.session.get_one(PortalTask, call.id)
    assert (stored.handled_by_id, stored.handled_at) == (held.holder.user.id, clock.now())
    # Seen to once: again, it is not found.
    assert _seen_to(client, held, call.id).status_code == 404


def test_her_report_is_seen_to_with_the_urgent_task_it_opened(
    client: FlaskClient, held: Held, clock
) -> None:
    report = _report(held)
    log_in(client, held.holder, clock)
    assert _seen_to(client, held, report.id).status_code == 409
    assert len(_open()) == 1
    urgent = db.session.scalars(
        select(UrgentTask).where(UrgentTask.for_role == "partner_treater")
    ).one()
    handle = f"/partner/cases/{held.case.id}/urgent/{urgent.id}/handle"
    form = text_of(client.get(handle))
    assert "Rapporterat av henne i hennes portal" in form
    assert submit(client, handle, {"handling": "Ringde henne samma dag."}).status_code == 302
    assert _open() == []
    assert portal_tasks.open_task_count(held.holder.user) == 0


def test_her_request_to_be_told_links_to_her_consent(
    client: FlaskClient, held: Held, clock
) -> None:
    portal_requests.ask_to_be_told_when_ended(_her(held))
    db.session.commit()
    log_in(client, held.holder, clock)
    page = text_of(client.get(case_view(held.case.id, "portal-tasks")))
    assert f'href="/partner/cases/{held.case.id}/answer"' in page
    assert "Hon ber om att få veta när hans behandling slutar" in page


def test_another_treater_or_another_cases_task_is_not_found(
    client: FlaskClient, held: Held, factory: Factory, clock
) -> None:
    task = _call_me(held)
    other = held_for_sms(factory, clock)
    log_in(client, other.holder, clock)
    # Her treater's colleague, on her case: not found (no token from a page of that case).
    case_page = f"/partner/cases/{other.case.id}"
    attempts = [
        submit(
            client,
            case_page,
            {"task_id": str(task.id)},
            action=f"/partner/cases/{held.case.id}/portal/tasks/seen-to",
        ),
        # Her task through the colleague's own case.
        submit(
            client,
            case_page,
            {"task_id": str(task.id)},
            action=f"{case_page}/portal/tasks/seen-to",
        ),
        submit(
            client, case_page, {"task_id": "inget-id"}, action=f"{case_page}/portal/tasks/seen-to"
        ),
    ]
    assert [answer.status_code for answer in attempts] == [404, 404, 404]
    assert len(_open()) == 1
    assert 'id="work-portal_task-' not in text_of(client.get("/partner/"))
    assert "2026-01-16 12:00" not in text_of(client.get(case_page))


def test_the_task_list_read_is_audited_without_content(held: Held) -> None:
    _call_me(held)
    portal_tasks.open_tasks_of_case(held.holder.user, held.case.id)
    db.session.commit()
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "partner.portal_tasks_viewed")
    ).all()
    assert [(row.actor_id, row.resource_id) for row in rows] == [
        (held.holder.user.id, str(held.case.id))
    ]
    assert "12:00" not in repr([tuple(vars(row).values()) for row in rows])


# --- at the same moment (PostgreSQL: SQLite has one writer at a time) ------------------------


def _at_once(app: Flask, work, times: int = 2) -> list[str]:
    db.session.remove()
    barrier = threading.Barrier(times)
    outcomes: list[str] = []

    def run() -> None:
        with app.app_context():
            # As in a web request: the audit chain is taken only at commit.
            defer_appends_until_commit()
            barrier.wait()
            try:
                outcomes.append(work())
                db.session.commit()
            except portal_tasks.PortalTaskNotFound:
                outcomes.append("not found")
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_treater_tabs_marking_one_task_at_once_one_wins(app: Flask, held: Held) -> None:
    task_id, case_id, holder_id = _call_me(held).id, held.case.id, held.holder.user.id

    def mark() -> str:
        holder = db.session.get_one(User, holder_id)
        portal_tasks.handle_task(holder, case_id, task_id)
        return "seen to"

    outcomes = _at_once(app, mark, times=4)
    assert sorted(outcomes) == ["not found", "not found", "not found", "seen to"]
    handled = db.session.scalar(
        select(func.count()).select_from(PortalTask).where(PortalTask.handled_at.is_not(None))
    )
    assert handled == 1


@pytest.mark.parametrize("backend", ["postgresql"])
def test_asking_to_be_told_twice_at_once_opens_one_task(app: Flask, held: Held) -> None:
    her = _her(held)

    def ask() -> str:
        task = portal_requests.ask_to_be_told_when_ended(her)
        return str(task.id) if task is not None else "none"

    # Eight at once: with fewer, the requests rarely overlap at all.
    outcomes = _at_once(app, ask, times=8)
    assert len(outcomes) == 8 and len(set(outcomes)) == 1
    assert db.session.scalar(select(func.count()).select_from(PortalTask)) == 1
