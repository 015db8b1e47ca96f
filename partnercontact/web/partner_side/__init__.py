"""Pages for the partner-contact treater. Never imports another audience's views."""

from partnercontact.web.partner_side.views import bp

__all__ = ["bp"]
