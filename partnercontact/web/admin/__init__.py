# Each module adds its routes to the blueprint when imported.
from partnercontact.web.admin import unknown_texts
from partnercontact.web.admin.views import bp

__all__ = ["bp", "unknown_texts"]
