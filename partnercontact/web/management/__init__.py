# Each module adds its routes to the blueprint when imported.
from partnercontact.web.management import threats, urgent
from partnercontact.web.management.views import bp

__all__ = ["bp", "threats", "urgent"]
