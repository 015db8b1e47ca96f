"""One's own schedule: the calendar of sessions and reminders, its private iCalendar address,
the reminders page, and the administrators' page of the task queue. Never imports another
audience's views."""

# Each module adds its routes when imported.
from partnercontact.web.calendar import reminders, tasks
from partnercontact.web.calendar.views import bp

__all__ = ["bp", "reminders", "tasks"]
