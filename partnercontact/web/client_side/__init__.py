from partnercontact.web.client_side import printing  # noqa: F401  (registers its route on bp)
from partnercontact.web.client_side.views import bp

__all__ = ["bp"]
