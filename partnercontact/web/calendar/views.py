"""The calendar of one's own sessions and reminders, a week at a time or as a list, and its
private iCalendar address.

Times are shown on the clinic's clocks (the service gives them in the clinic's zone). The
address's secret is shown once, in the answer to the POST that made it: it is never put in the
session, a flash message or a redirect, so it is written nowhere but that one page.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from partnercontact.db import db
from partnercontact.partner_side.scheduling import calendar, feeds
from partnercontact.partner_side.scheduling.kinds import OUTCOMES, REMINDERS, TASKS
from partnercontact.partner_side.scheduling.plan import PURPOSES
from partnercontact.partner_side.scheduling.sessions import SESSION_CHANNELS, SESSION_STATES
from partnercontact.policy import Permission, public, requires
from partnercontact.web.addresses import absolute_url_for
from partnercontact.web.calendar.forms import CreateFeedForm, RevokeFeedForm

bp = Blueprint("calendar", __name__, template_folder="templates")

FEED_MIMETYPE = "text/calendar"


def day_label(day: date) -> str:
    """A day as the reader's language writes it: måndag 30 mars, Monday 30 March."""
    return format_date(day, "EEEE d MMMM")


def clock(moment: datetime | None) -> str:
    """The clock time of a moment already in the clinic's zone."""
    return moment.strftime("%H:%M") if moment else ""


@bp.context_processor
def _helpers() -> dict[str, object]:
    return {
        "day_label": day_label,
        "clock": clock,
        "purpose_labels": PURPOSES,
        "channel_labels": SESSION_CHANNELS,
        "state_labels": SESSION_STATES,
        "reminder_labels": REMINDERS,
        "task_labels": TASKS,
        "outcome_labels": OUTCOMES,
    }


@bp.route("/calendar", methods=["GET"])
@requires(Permission.CALENDAR_VIEW)
def week() -> str:
    """A week, Monday to Sunday; ``?week=2026-W14`` picks another one."""
    return render_template(
        "calendar/week.html", week=calendar.week_of(current_user, request.args.get("week"))
    )


@bp.route("/calendar/list", methods=["GET"])
@requires(Permission.CALENDAR_VIEW)
def upcoming() -> str:
    return render_template("calendar/list.html", upcoming=calendar.upcoming(current_user))


def _feed_page(new_url: str | None = None) -> str:
    return render_template(
        "calendar/feed.html",
        feed=feeds.active_feed(current_user),
        new_url=new_url,
        form=CreateFeedForm(formdata=None),
        past_days=feeds.FEED_PAST.days,
    )


@bp.route("/calendar/feed", methods=["GET"])
@requires(Permission.CALENDAR_VIEW)
def feed() -> str:
    return _feed_page()


@bp.route("/calendar/feed/new", methods=["POST"])
@requires(Permission.CALENDAR_VIEW)
def create_feed() -> str:
    """Make a new address and show it, this once."""
    form = CreateFeedForm()
    if not form.validate():
        abort(400)
    made = feeds.create_feed(current_user)
    db.session.commit()
    return _feed_page(absolute_url_for("calendar.feed_ics", secret=made.secret))


@bp.route("/calendar/feed/revoke", methods=["GET", "POST"])
@requires(Permission.CALENDAR_VIEW)
def revoke_feed() -> Response | str:
    """A confirmation page (GET) before the address stops working (POST)."""
    form = RevokeFeedForm()
    if not form.is_submitted():
        return render_template(
            "calendar/feed_revoke.html", form=form, feed=feeds.active_feed(current_user)
        )
    if not form.validate():
        abort(400)
    if feeds.revoke_feed(current_user):
        db.session.commit()
        flash(_("The address no longer works. Calendars that used it stop updating."), "success")
    else:
        flash(_("You had no address to revoke."), "success")
    return redirect(url_for("calendar.feed"))


@bp.route("/calendar/feed/<secret>.ics", methods=["GET"])
@public
def feed_ics(secret: str) -> Response:
    """The private feed, fetched by a calendar program without logging in.

    Public on purpose: the secret in the address is its only key (see scheduling.feeds). A
    revoked, replaced or unknown address answers exactly as any page that does not exist.
    """
    body = feeds.read_feed(secret)
    if body is None:
        abort(404)
    db.session.commit()  # the audit entry of the read
    response = Response(body, mimetype=FEED_MIMETYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="kalender.ics"'
    return response
