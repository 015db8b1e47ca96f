"""Imports every model so the metadata knows every table (for Alembic and tests)."""

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User, WebSession
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.models import DataKey

__all__ = ["AuditEvent", "Clinic", "DataKey", "User", "WebSession"]
