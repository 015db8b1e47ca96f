from partnercontact.web.management.views import bp

__all__ = ["bp"]
