"""Imports every model so the metadata knows every table (for Alembic and tests)."""

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User, WebSession
from partnercontact.cases.models import Client, TreatmentEpisode
from partnercontact.clinics.models import Clinic
from partnercontact.consent.models import Consent
from partnercontact.crypto.models import DataKey

__all__ = [
    "AuditEvent",
    "Client",
    "Clinic",
    "Consent",
    "DataKey",
    "TreatmentEpisode",
    "User",
    "WebSession",
]
