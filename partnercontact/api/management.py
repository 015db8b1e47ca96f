"""The clinic's management: statistics, the consent register and the tasks waiting for a
manager. Counts and consent metadata only: nothing clinical, no contact details."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "api_management",
    __name__,
    url_prefix="/api/v1/management",
    description="Management: statistics, the consent register and tasks",
)
