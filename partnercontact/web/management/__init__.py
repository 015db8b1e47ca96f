# Each module adds its routes to the blueprint when imported.
from partnercontact.web.management import (
    access_log,
    investigations,
    overrides,
    staffing,
    statistics,
    tasks,
    threats,
    urgent,
)
from partnercontact.web.management.views import bp

__all__ = [
    "access_log",
    "bp",
    "investigations",
    "overrides",
    "staffing",
    "statistics",
    "tasks",
    "threats",
    "urgent",
]
