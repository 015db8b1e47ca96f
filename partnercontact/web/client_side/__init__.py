# Each module adds its routes to the blueprint when imported.
from partnercontact.web.client_side import (
    consultations,
    ending,
    handover,
    printing,
    risk,
    risk_signals,
    signed_copies,
    treatment,
)
from partnercontact.web.client_side.views import bp

__all__ = [
    "bp",
    "consultations",
    "ending",
    "handover",
    "printing",
    "risk",
    "risk_signals",
    "signed_copies",
    "treatment",
]
