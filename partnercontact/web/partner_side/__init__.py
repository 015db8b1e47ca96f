"""Pages for the partner-contact treater. Never imports another audience's views."""

from flask import Blueprint, render_template

from partnercontact.policy import Permission, requires

bp = Blueprint("partner_side", __name__, url_prefix="/partner", template_folder="templates")


@bp.route("/")
@requires(Permission.PARTNER_SIDE_VIEW)
def home() -> str:
    return render_template("partner_side/home.html")
