"""The navigation a user sees, derived from the policy rather than from role names, and the
header's notice of threat warnings waiting for a manager's decision."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, g, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from partnercontact.auth.sessions import count_read_with_session, read_with_session
from partnercontact.client_side.cases.service import to_do_count
from partnercontact.clinics.clock import wall_clock
from partnercontact.partner_side.contact import unconfirmed_threat_warning_count
from partnercontact.partner_side.escalations import open_manager_task_count
from partnercontact.partner_side.messaging.triage import (
    waiting_count_for_triage,
)
from partnercontact.partner_side.scheduling.reminders import open_reminder_count, open_reminders_of
from partnercontact.partner_side.worklist import worklist
from partnercontact.policy import Permission, Role, can
from partnercontact.runtime import current_runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    permission: Permission
    # How many things wait for the user there, shown after the label when above zero.
    count: Callable[[Any], int] | None = None


# The first item a user may use is their landing page (landing_url): each role's own home
# comes before the pages it shares with others.
NAV_ITEMS = (
    NavItem(
        "client_side.home",
        _l("My clients"),
        Permission.CLIENT_SIDE_VIEW,
        count=lambda user: client_to_do_count(user),
    ),
    NavItem(
        "partner_side.home",
        _l("Partner contact"),
        Permission.PARTNER_SIDE_VIEW,
        count=lambda user: worklist_count(user),
    ),
    NavItem("management.home", _l("Follow-up"), Permission.MANAGEMENT_VIEW),
    NavItem(
        "management.tasks",
        _l("Tasks"),
        Permission.ESCALATIONS_HANDLE,
        count=open_manager_task_count,
    ),
    NavItem("calendar.week", _l("Calendar"), Permission.CALENDAR_VIEW),
    NavItem(
        "calendar.reminders",
        _l("Reminders"),
        Permission.REMINDERS_VIEW,
        count=lambda user: _read_with_session(OPEN_REMINDERS, open_reminder_count, user),
    ),
    NavItem("admin.users", _l("Accounts"), Permission.USERS_MANAGE),
    NavItem("admin.clinic_settings", _l("Clinic settings"), Permission.CLINIC_SETTINGS_EDIT),
    NavItem(
        "admin.unknown_texts",
        _l("Texts from unknown numbers"),
        Permission.UNMATCHED_SMS_TRIAGE,
        count=waiting_count_for_triage,
    ),
    NavItem("outbound.stop_switch", _l("Stop switch"), Permission.OUTBOUND_HALT),
    NavItem("outbound.outbox", _l("Outbox"), Permission.OUTBOX_VIEW),
    NavItem("calendar.tasks", _l("Scheduled tasks"), Permission.TASKS_VIEW),
)

OPEN_REMINDERS = "open_reminders"


# A menu count that costs statements of its own (a worklist's) is kept in the session for this
# long: on every other page it would cost them again, and what changed in the last minute is on
# the home page, where the list and its count are always read afresh (and after any form).
KEPT_COUNTS = "kept_counts"
COUNT_KEPT = timedelta(minutes=1)
PARTNER_WORKLIST = "partner_worklist"
CLIENT_TO_DO = "client_to_do"


def shown_count(name: str, value: int) -> None:
    """A home page that shows the list a menu count counts gives the menu its number, so the
    two agree and the page pays nothing more for it."""
    g.setdefault("shown_counts", {})[name] = value


def _kept_count(name: str, home: str, count: Callable[[Any], int], user: Any) -> int:
    now = current_runtime().clock.now().timestamp()
    kept = session.get(KEPT_COUNTS)
    kept = kept if isinstance(kept, dict) else {}
    shown = g.get("shown_counts", {}).get(name)
    entry = kept.get(name)
    if not (isinstance(entry, list) and len(entry) == 2):
        entry = [None, float("-inf")]
    fresh = 0 <= now - entry[1] < COUNT_KEPT.total_seconds()
    if fresh and shown is None and request.endpoint != home:
        return int(entry[0])
    value = shown if shown is not None else count(user)
    # Written only when it changed or went stale: a session written on every page would cost
    # each page a write of its own.
    if not (fresh and entry[0] == value):
        session[KEPT_COUNTS] = {**kept, name: [value, now]}
    return int(value)


def worklist_count(user: Any) -> int:
    """The number of items on a partner-contact treater's worklist (the home page's list is
    read once for the page and its menu)."""
    return _kept_count(
        PARTNER_WORKLIST, "partner_side.home", lambda user: len(worklist(user)), user
    )


def client_to_do_count(user: Any) -> int:
    """What waits for a client treater on his clients (his home page gives its number)."""
    return _kept_count(CLIENT_TO_DO, "client_side.home", to_do_count, user)


def _read_with_session(name: str, count: Callable[[Any], int], user: Any) -> int:
    """The count read with the session's row, where there was one; else asked now."""
    known = count_read_with_session(name)
    return known if known is not None else count(user)


ROLE_LABELS = {
    Role.CLIENT_TREATER: _l("Client treater"),
    Role.PARTNER_TREATER: _l("Partner-contact treater"),
    Role.MANAGER: _l("Manager"),
    Role.ADMIN: _l("Administrator"),
}


def nav_for(user: object) -> list[NavItem]:
    return [item for item in NAV_ITEMS if can(user, item.permission)]


def _counted(item: NavItem, user: object) -> NavItem:
    """The item as shown: "Reminders (2)" while two wait, plain "Reminders" otherwise."""
    number = item.count(user) if item.count is not None else 0
    if not number:
        return item
    return replace(item, label=f"{item.label} ({number})")


def landing_url(user: object) -> str:
    """The first page the user's permissions open; the account page if none does."""
    items = nav_for(user)
    return url_for(items[0].endpoint) if items else url_for("account.overview")


def role_label(role: str) -> object:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def clinic_time(moment: datetime | None) -> str:
    """A stored moment as the wall clock of the user's clinic shows it."""
    if moment is None:
        return ""
    return wall_clock(moment, current_user.clinic)


def clinic_day(moment: datetime | None) -> str:
    """The day a stored moment falls on in the user's clinic (not in UTC)."""
    return clinic_time(moment)[:10]


def waiting_threat_warnings(user: Any) -> int:
    """How many of the clinic's threat warnings wait for a manager's decision, for a user who
    may decide on them; 0, without a query, for anyone else.

    An imminent threat must not wait for a manager to happen upon the task list: while any
    warning waits, every page a manager opens says so in its header, linked to the list.
    """
    if not getattr(user, "is_authenticated", False):
        return 0
    if not can(user, Permission.THREAT_WARNINGS_CONFIRM):
        return 0
    try:
        return unconfirmed_threat_warning_count(user)
    except SQLAlchemyError as exc:
        # Pages that report a database error are rendered too; they must not fail again here.
        log.warning("waiting threat warnings unavailable: %s", type(exc).__name__)
        return 0


def _inject() -> dict[str, object]:
    # The user itself, not the proxy: every permission asked of it below would otherwise
    # look the request's user up again.
    user = current_user._get_current_object()
    return {
        "clinic_time": clinic_time,
        "clinic_day": clinic_day,
        "nav_items": [_counted(item, user) for item in nav_for(user)]
        if user.is_authenticated
        else [],
        "waiting_threat_warnings": waiting_threat_warnings(user),
        "role_label": role_label,
        "get_locale": get_locale,
    }


def _forget_kept_counts() -> None:
    # Whatever a form does may handle an item: the next page reads the count afresh.
    if request.method == "POST":
        session.pop(KEPT_COUNTS, None)


def init_app(app: Flask) -> None:
    app.before_request(_forget_kept_counts)
    # A partner-contact treater's pages each show how many reminders wait: read with the
    # session's row, not in a statement of its own on every page.
    read_with_session(OPEN_REMINDERS, open_reminders_of)
    app.context_processor(_inject)
