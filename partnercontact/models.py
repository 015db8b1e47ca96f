"""Imports every model so the metadata knows every table (for Alembic and tests)."""

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User, WebSession
from partnercontact.cases.models import Client, TreatmentEpisode
from partnercontact.clinics.models import Clinic
from partnercontact.consent.models import Consent, ConsentDocument
from partnercontact.crypto.models import DataKey
from partnercontact.partners.models import PartnerHandover

__all__ = [
    "AuditEvent",
    "Client",
    "Clinic",
    "Consent",
    "ConsentDocument",
    "DataKey",
    "PartnerHandover",
    "TreatmentEpisode",
    "User",
    "WebSession",
]
