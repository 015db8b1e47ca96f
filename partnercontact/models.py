"""Imports every model so the metadata knows every table (for Alembic and tests)."""

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User, WebSession
from partnercontact.cases.models import Client, TreatmentEpisode
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.models import DataKey

__all__ = [
    "AuditEvent",
    "Client",
    "Clinic",
    "DataKey",
    "TreatmentEpisode",
    "User",
    "WebSession",
]
