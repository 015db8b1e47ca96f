"""The navigation a user sees, derived from the policy rather than from role names, and the
header's notice of threat warnings waiting for a manager's decision."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, request, session, url_for
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
    NavItem("client_side.home", _l("My clients"), Permission.CLIENT_SIDE_VIEW, count=to_do_count),
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


# The worklist's count in the menu is kept in the session for this long: on every other page it
# would cost the list's statement again, and what changed in the last minute is on the home
# page, where the list and its count are always read afresh.
WORKLIST_COUNT = "worklist_count"
WORKLIST_COUNT_KEPT = timedelta(minutes=1)


def worklist_count(user: Any) -> int:
    """The number of items on ``user``'s worklist, for the menu: read afresh on the home page
    (from the list the page shows) and when the kept number is a minute old."""
    now = current_runtime().clock.now().timestamp()
    kept = session.get(WORKLIST_COUNT)
    if (
        request.endpoint != "partner_side.home"
        and isinstance(kept, list)
        and len(kept) == 2
        and 0 <= now - kept[1] < WORKLIST_COUNT_KEPT.total_seconds()
    ):
        return int(kept[0])
    count = len(worklist(user))
    session[WORKLIST_COUNT] = [count, now]
    return count


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


def _forget_worklist_count() -> None:
    # Whatever a form does may handle an item: the next page reads the count afresh.
    if request.method == "POST":
        session.pop(WORKLIST_COUNT, None)


def init_app(app: Flask) -> None:
    app.before_request(_forget_worklist_count)
    # A partner-contact treater's pages each show how many reminders wait: read with the
    # session's row, not in a statement of its own on every page.
    read_with_session(OPEN_REMINDERS, open_reminders_of)
    app.context_processor(_inject)
