from partnercontact.web.client_side.views import bp

__all__ = ["bp"]
