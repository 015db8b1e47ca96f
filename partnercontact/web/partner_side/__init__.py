"""Pages for the partner-contact treater. Never imports another audience's views."""

# Each module adds its routes and case-page sections when imported.
from partnercontact.web.partner_side import (
    clinical,
    consultations,
    contact,
    escalations,
    glance,
    her_own,
    investigations,
    letters,
    messages,
    outcomes,
    portal,
    portal_tasks,
    relay,
    sessions,
    unknown_texts,
)
from partnercontact.web.partner_side.views import bp

__all__ = [
    "bp",
    "clinical",
    "consultations",
    "contact",
    "escalations",
    "glance",
    "her_own",
    "investigations",
    "letters",
    "messages",
    "outcomes",
    "portal",
    "portal_tasks",
    "relay",
    "sessions",
    "unknown_texts",
]
