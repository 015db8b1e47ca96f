from partnercontact.web.account import tokens  # noqa: F401  (registers the token pages)
from partnercontact.web.account.views import bp

__all__ = ["bp"]
