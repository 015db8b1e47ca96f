"""Imports every model so the metadata knows every table (for Alembic and tests)."""

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.runs import AuditVerification
from partnercontact.auth.models import ApiToken, User, WebSession
from partnercontact.client_side.cases.models import Client, TreatmentEpisode, TreatmentSession
from partnercontact.client_side.consent.models import Consent, ConsentDocument
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.models import DataKey
from partnercontact.partner_side.escalations import Escalation
from partnercontact.partner_side.her_own_models import OwnContactDetails, PlanProposal
from partnercontact.partner_side.messaging.models import (
    InboundSms,
    OutboundHalt,
    SentLetter,
    SmsMessage,
    SmsOptOut,
    SmsStatusEvent,
)
from partnercontact.partner_side.models import (
    Child,
    ConcernReport,
    ContactAttempt,
    ContactPause,
    PartnerAnswer,
    PartnerCase,
    PartnerConsent,
    PartnerHandover,
    ProtectedAccess,
    RiskAssessment,
    SafeContactPlan,
    SafetyPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
    TreaterException,
    UrgentTask,
)
from partnercontact.partner_side.portal_attachments_models import PortalAttachment
from partnercontact.partner_side.portal_messages_models import PortalMessage
from partnercontact.partner_side.portal_models import (
    PortalAccess,
    PortalAddressFailure,
    PortalInvitation,
)
from partnercontact.partner_side.portal_notices_models import PortalNoticeSetting
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.scheduling.models import (
    CalendarFeed,
    ContactSession,
    StaffReminder,
)
from partnercontact.portal.models import PortalSession
from partnercontact.relay.models import RelayEvent, RelayOutcome
from partnercontact.staffing.models import Cover, Reassignment
from partnercontact.tasks.models import ScheduledTask

__all__ = [
    "ContactPause",
    "PortalSession",
    "PortalTask",
    "ApiToken",
    "AuditEvent",
    "AuditVerification",
    "CalendarFeed",
    "ContactSession",
    "ScheduledTask",
    "StaffReminder",
    "Child",
    "Client",
    "Clinic",
    "ConcernReport",
    "Consent",
    "ConsentDocument",
    "ContactAttempt",
    "DataKey",
    "Escalation",
    "InboundSms",
    "OutboundHalt",
    "SentLetter",
    "SmsMessage",
    "SmsOptOut",
    "SmsStatusEvent",
    "PartnerAnswer",
    "PartnerCase",
    "PartnerConsent",
    "PartnerHandover",
    "OwnContactDetails",
    "PlanProposal",
    "PortalAccess",
    "PortalAddressFailure",
    "PortalAttachment",
    "PortalInvitation",
    "PortalMessage",
    "PortalNoticeSetting",
    "ProtectedAccess",
    "RelayEvent",
    "Cover",
    "Reassignment",
    "RelayOutcome",
    "RiskAssessment",
    "SafeContactPlan",
    "SafetyPlan",
    "SendDecision",
    "SuitabilityDecision",
    "ThreatWarning",
    "TreaterException",
    "TreatmentEpisode",
    "TreatmentSession",
    "UrgentTask",
    "User",
    "WebSession",
]
