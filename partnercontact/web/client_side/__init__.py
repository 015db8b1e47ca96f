"""Pages for the client's treater. Never imports another audience's views."""

from flask import Blueprint, render_template

from partnercontact.policy import Permission, requires

bp = Blueprint("client_side", __name__, url_prefix="/client", template_folder="templates")


@bp.route("/")
@requires(Permission.CLIENT_SIDE_VIEW)
def home() -> str:
    return render_template("client_side/home.html")
