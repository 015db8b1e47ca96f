"""Her requests from her portal, on her pages: "call me" with a time window, new violence or
threats (after a confirmation, reaching her treater and the manager as a high risk result
does, the manager learning nothing of what she wrote), confirming or asking to move a booked
session (named in the form, another case's not found like a missing one), and asking to be
told when his treatment ends (once). A bad window is refused on its field with what she typed
kept; none of her words is in the audit log."""

from __future__ import annotations

import re
import uuid
from datetime import date, time, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from partnercontact.partner_side import clinical, portal_tasks
from partnercontact.partner_side.escalations import open_manager_task_count
from partnercontact.partner_side.models import UrgentTask
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.scheduling.models import ContactSession
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import log_in, text_of
from tests.messaging.sending import Held
from tests.portal.test_portal_app import _invited, _redeemed
from tests.scheduling.building import accepted, book, sessions

# The fixed clock stands at 2026-01-15 09:00 UTC: 10:00 on the clinic's clocks (Stockholm).
TODAY = date(2026, 1, 15)
HER_WORDS = "Han stod utanför porten i går kväll och skrek."


def _token(her: FlaskClient, page: str = "/requests") -> str:
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', her.get(page).text)
    assert found, page
    return found.group(1)


def _send(her: FlaskClient, action: str, data: dict[str, str], page: str = "/requests"):
    return her.post(action, data={"csrf_token": _token(her, page), **data})


def _masked(page: str) -> str:
    return re.sub(r'value="[^"]+"', 'value=""', page)


def _tasks(kind: str | None = None) -> list[PortalTask]:
    db.session.rollback()
    db.session.expire_all()
    query = select(PortalTask).order_by(PortalTask.opened_at, PortalTask.id)
    if kind is not None:
        query = query.where(PortalTask.kind == kind)
    return list(db.session.scalars(query))


def _manager_gets_tasks(factory: Factory) -> None:
    clinic = factory.default_clinic
    update_settings(factory.admin(clinic=clinic).user, clinic, {"urgent_tasks_to_manager": True})
    db.session.commit()


def _call_me(day: date, start: str = "14:00", end: str = "16:00") -> dict[str, str]:
    return {"day": day.isoformat(), "from_time": start, "until_time": end}


# --- call me ---------------------------------------------------------------------------------


def test_she_asks_to_be_called_in_a_window_and_her_treater_sees_it(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    start = her.get("/start").text
    assert 'href="/requests"' in start and 'href="/report"' in start
    page = her.get("/requests")
    assert page.status_code == 200 and 'id="call-me"' in page.text
    # The days offered run from the clinic's today two weeks ahead, by weekday and date.
    assert f'value="{TODAY.isoformat()}"' in page.text
    assert f'value="{(TODAY + timedelta(days=14)).isoformat()}"' in page.text
    assert f'value="{(TODAY + timedelta(days=15)).isoformat()}"' not in page.text
    assert "Idag, torsdag 15 januari" in page.text

    sent = _send(her, "/requests/call-me", _call_me(TODAY + timedelta(days=2)))
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/requests#sent")
    [task] = _tasks()
    assert (task.kind, task.partner_case_id, task.urgent) == ("call_me", held.case.id, False)
    assert task.details == "2026-01-17 14:00–16:00"

    [entry] = portal_tasks.open_tasks_of_case(held.holder.user, held.case.id)
    db.session.commit()
    assert (entry.kind, entry.details) == ("call_me", "2026-01-17 14:00–16:00")
    # Her list says the clinic has it, when she sent it (clinic time), and nothing of staff.
    sent_list = her.get("/requests").text.split('id="sent"')[1]
    assert "Ring mig" in sent_list and "Skickad 2026-01-15 10:00." in sent_list
    assert "Kliniken har fått den." in sent_list
    assert held.holder.user.display_name not in sent_list


@pytest.mark.parametrize(
    ("data", "field", "kept"),
    [
        ({"day": "", "from_time": "14:00", "until_time": "16:00"}, "day", "16:00"),
        (_call_me(TODAY - timedelta(days=1)), "day", "14:00"),
        (_call_me(TODAY + timedelta(days=15)), "day", "16:00"),
        (_call_me(TODAY + timedelta(days=1), start="kl två"), "from_time", "kl två"),
        (_call_me(TODAY + timedelta(days=1), end=""), "until_time", "14:00"),
        (_call_me(TODAY + timedelta(days=1), start="15:00", end="15:00"), "until_time", "15:00"),
        (_call_me(TODAY + timedelta(days=1), start="16:00", end="14:30"), "until_time", "14:30"),
        # 08:00 to 09:30 today is over: it is 10:00 on the clinic's clocks.
        (_call_me(TODAY, start="08:00", end="09:30"), "until_time", "08:00"),
    ],
    ids=[
        "no-day",
        "past-day",
        "beyond-two-weeks",
        "bad-from",
        "no-until",
        "empty",
        "reversed",
        "over",
    ],
)
def test_a_bad_window_is_refused_on_its_field_with_what_she_typed_kept(
    her: FlaskClient, held: Held, data: dict[str, str], field: str, kept: str
) -> None:
    _redeemed(her, _invited(held))
    refused = _send(her, "/requests/call-me", data)
    assert refused.status_code == 400, refused.text
    assert f'id="{field}-error"' in refused.text
    assert refused.text.count('class="field-error"') == 1
    assert f'value="{kept}"' in refused.text
    assert _tasks() == []


def test_a_window_later_today_goes(her: FlaskClient, held: Held) -> None:
    _redeemed(her, _invited(held))
    # Started already (09:00) but not over (until 11:00): she may be called now.
    assert _send(her, "/requests/call-me", _call_me(TODAY, "09:00", "11:00")).status_code == 302
    [task] = _tasks("call_me")
    assert task.details == "2026-01-15 09:00–11:00"


# --- new violence or threats -----------------------------------------------------------------


def test_new_violence_is_confirmed_first_then_reaches_her_treater_and_the_manager(
    her: FlaskClient, held: Held, factory: Factory, client: FlaskClient, clock
) -> None:
    _manager_gets_tasks(factory)
    _redeemed(her, _invited(held))
    confirmation = her.get("/report")
    assert confirmation.status_code == 200
    assert (
        "Det här meddelar din kontakt på kliniken direkt. Det är inget nödsamtal: "
        "är du i fara, ring 112." in confirmation.text
    )
    assert _tasks() == []  # nothing is sent by opening the page

    sent = _send(her, "/report", {"words": HER_WORDS}, page="/report")
    assert sent.status_code == 302
    [task] = _tasks()
    assert (task.kind, task.urgent, task.details) == ("new_violence", True, HER_WORDS)
    urgent = db.session.scalars(select(UrgentTask).order_by(UrgentTask.for_role)).all()
    assert [(u.for_role, u.portal_task_id, u.risk_assessment_id) for u in urgent] == [
        ("manager", task.id, None),
        ("partner_treater", task.id, None),
    ]
    assert all(u.recorded_by_id is None for u in urgent)

    # Her treater: an urgent task beside those of high risk results, her words on her task.
    assert clinical.open_task_count(held.holder.user) == 1
    [entry] = portal_tasks.open_tasks_of_case(held.holder.user, held.case.id)
    assert entry.urgent and entry.details == HER_WORDS and entry.urgent_task_id == urgent[1].id

    # The manager: an urgent consultation opened by her report, and not a word of it.
    manager = factory.manager()
    [row] = clinical.open_manager_tasks(manager.user)
    assert (row.reference, row.level) == (held.case.id.hex[:8], None)
    db.session.commit()
    log_in(client, manager, clock)
    for page in ("/management/urgent", "/management/tasks"):
        shown = text_of(client.get(page))
        assert "rapporterat av henne i hennes portal" in shown.lower(), page
        assert HER_WORDS not in shown and "porten" not in shown, page
    assert "Rapporterat av henne i hennes portal" in text_of(
        client.get(f"/management/urgent/{urgent[0].id}/handle")
    )
    # The page header counts it among the manager's tasks.
    assert open_manager_task_count(manager.user) == 1

    # Seen to when her treater records how the urgent task was handled: she sees when.
    clock.advance(minutes=5)
    clinical.handle_urgent_task(
        held.holder.user, held.case.id, urgent[1].id, handling="Ringde henne, gjorde plan."
    )
    db.session.commit()
    assert portal_tasks.open_task_count(held.holder.user) == 0
    sent_list = her.get("/requests").text.split('id="sent"')[1]
    assert "Nytt våld eller hot" in sent_list and "Åtgärdad 2026-01-15 10:05." in sent_list


def test_a_report_without_words_goes_and_too_many_words_are_refused_and_kept(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    long = "å" * 2001
    refused = _send(her, "/report", {"words": long}, page="/report")
    assert refused.status_code == 400 and 'id="words-error"' in refused.text
    assert long in refused.text
    assert _tasks() == []
    assert _send(her, "/report", {"words": "  "}, page="/report").status_code == 302
    [task] = _tasks("new_violence")
    assert task.details is None
    # Without the clinic setting, one urgent task: her treater's.
    assert db.session.scalars(select(UrgentTask.for_role)).all() == ["partner_treater"]


# --- booked sessions -------------------------------------------------------------------------


@pytest.fixture
def booked(factory: Factory, clock) -> tuple[Held, ContactSession]:
    held = accepted(factory, clock)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()
    session = book(held, sessions(held)[0], TODAY + timedelta(days=5), time(13, 30))
    return held, session


def test_she_confirms_a_booked_session_once(
    her: FlaskClient, booked: tuple[Held, ContactSession]
) -> None:
    held, session = booked
    _redeemed(her, _invited(held))
    page = her.get("/requests").text.split('id="sessions"')[1].split("</section>")[0]
    # The time on the clinic's clocks, and nothing of how or by whom it was booked.
    assert "2026-01-20 13:30" in page and str(session.id) in page
    assert held.holder.user.display_name not in page and "Möte på kliniken" not in page

    confirmed = _send(her, "/requests/session/confirm", {"session_id": str(session.id)})
    assert confirmed.status_code == 302
    again = _send(her, "/requests/session/confirm", {"session_id": str(session.id)})
    assert again.status_code == 302
    [task] = _tasks()
    assert (task.kind, task.subject_id) == ("session_confirmed", session.id)
    assert "Du har bekräftat den." in her.get("/requests").text

    [entry] = portal_tasks.open_tasks_of_case(held.holder.user, held.case.id)
    db.session.commit()
    assert entry.session_starts_at is not None
    assert entry.session_starts_at.astimezone().isoformat().startswith("2026-01-20T12:30")


def test_a_session_moved_by_her_treater_is_hers_to_confirm_again(
    her: FlaskClient, booked: tuple[Held, ContactSession], clock
) -> None:
    held, session = booked
    _redeemed(her, _invited(held))
    _send(her, "/requests/session/confirm", {"session_id": str(session.id)})
    clock.advance(minutes=5)
    book(held, session, TODAY + timedelta(days=6), time(9, 0))
    assert "Du har bekräftat den." not in her.get("/requests").text
    _send(her, "/requests/session/confirm", {"session_id": str(session.id)})
    assert len(_tasks("session_confirmed")) == 2


def test_she_asks_to_move_a_session_with_a_window_of_her_own(
    her: FlaskClient, booked: tuple[Held, ContactSession]
) -> None:
    held, session = booked
    _redeemed(her, _invited(held))
    chosen = _send(her, "/requests/session/move", {"session_id": str(session.id), "step": "choose"})
    assert chosen.status_code == 200
    assert "2026-01-20 13:30" in chosen.text and 'id="day-error"' not in chosen.text
    assert _tasks() == []

    window = _call_me(TODAY + timedelta(days=20), "10:00", "12:00")
    refused = _send(
        her,
        "/requests/session/move",
        {"session_id": str(session.id), **window, "until_time": "09:00"},
    )
    assert refused.status_code == 400 and 'id="until_time-error"' in refused.text
    assert 'value="09:00"' in refused.text and 'value="10:00"' in refused.text

    moved = _send(her, "/requests/session/move", {"session_id": str(session.id), **window})
    assert moved.status_code == 302
    [task] = _tasks()
    assert (task.kind, task.subject_id, task.details) == (
        "session_move",
        session.id,
        "2026-02-04 10:00–12:00",
    )
    assert "Du bad om att flytta den." in her.get("/requests").text


@pytest.mark.parametrize("action", ["/requests/session/confirm", "/requests/session/move"])
def test_another_cases_session_is_not_found_like_a_missing_one(
    her: FlaskClient, booked: tuple[Held, ContactSession], factory: Factory, clock, action: str
) -> None:
    held, _ = booked
    other = accepted(factory, clock)
    theirs = book(other, sessions(other)[0], TODAY + timedelta(days=3), time(10, 0))
    _redeemed(her, _invited(held))
    window = _call_me(TODAY + timedelta(days=1))
    foreign = _send(her, action, {"session_id": str(theirs.id), **window})
    missing = _send(her, action, {"session_id": str(uuid.uuid4()), **window})
    garbled = _send(her, action, {"session_id": "inte-ett-id", **window})
    assert foreign.status_code == missing.status_code == garbled.status_code == 404
    # The same page for all three (the form token of the page's exit button aside).
    assert _masked(foreign.text) == _masked(missing.text) == _masked(garbled.text)
    assert _tasks() == []


def test_a_session_to_book_or_past_is_not_hers_to_confirm(
    her: FlaskClient, booked: tuple[Held, ContactSession], clock
) -> None:
    held, session = booked
    unbooked = [s for s in sessions(held) if s.state == "to_book"]
    _redeemed(her, _invited(held))
    if unbooked:
        answer = _send(her, "/requests/session/confirm", {"session_id": str(unbooked[0].id)})
        assert answer.status_code == 404
    clock.advance(days=6)
    her.post("/exit")
    _redeemed(her, _invited(held))
    assert (
        _send(her, "/requests/session/confirm", {"session_id": str(session.id)}).status_code == 404
    )
    assert "2026-01-20 13:30" not in her.get("/requests").text


# --- told when his treatment ends ------------------------------------------------------------


def test_asking_twice_to_be_told_when_his_treatment_ends_opens_one_task(
    her: FlaskClient, held: Held
) -> None:
    _redeemed(her, _invited(held))
    assert _send(her, "/requests/told-when-ended", {}).status_code == 302
    assert _send(her, "/requests/told-when-ended", {}).status_code == 302
    [task] = _tasks()
    assert task.kind == "told_when_ended"
    assert "Du har bett om att få veta när hans behandling slutar." in her.get("/requests").text


# --- audit ------------------------------------------------------------------------------------


def test_her_requests_are_audited_without_actor_or_a_word_of_hers(
    her: FlaskClient, booked: tuple[Held, ContactSession], factory: Factory
) -> None:
    held, session = booked
    _manager_gets_tasks(factory)
    _redeemed(her, _invited(held))
    _send(her, "/requests/call-me", _call_me(TODAY + timedelta(days=3), "17:15", "18:45"))
    _send(her, "/report", {"words": HER_WORDS}, page="/report")
    _send(her, "/requests/session/confirm", {"session_id": str(session.id)})
    _send(
        her,
        "/requests/session/move",
        {"session_id": str(session.id), **_call_me(TODAY + timedelta(days=9), "08:05", "08:55")},
    )
    _send(her, "/requests/told-when-ended", {})
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.resource_id == str(held.case.id))
    ).all()
    hers = {(row.action, row.actor_id) for row in rows if row.actor_id is None}
    for action in (
        "partner.portal_requests_viewed_by_her",
        "partner.portal_call_asked",
        "partner.portal_violence_reported",
        "partner.urgent_task_opened",
        "partner.portal_session_confirmed",
        "partner.portal_session_move_asked",
        "partner.portal_told_when_ended_asked",
    ):
        assert (action, None) in hers, action
    everything = repr([tuple(vars(row).values()) for row in db.session.scalars(select(AuditEvent))])
    for secret in (HER_WORDS, "porten", "17:15", "18:45", "08:05", "08:55", str(session.id)):
        assert secret not in everything, secret
