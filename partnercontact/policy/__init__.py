"""The information wall: who may do what is decided here and nowhere else."""

from partnercontact.policy.access import can, public, requires, undeclared_endpoints
from partnercontact.policy.roles import ROLE_PERMISSIONS, Permission, Role

__all__ = [
    "ROLE_PERMISSIONS",
    "Permission",
    "Role",
    "can",
    "public",
    "requires",
    "undeclared_endpoints",
]
