"""Twilio's webhooks: status callbacks for our text messages, and texts sent to the clinic.

Both routes are public (Twilio has no session) and trust nothing that does not carry a valid
``X-Twilio-Signature``: an HMAC under the account's auth token over the URL Twilio requested
and every form field. The URL is rebuilt from ``messaging.twilio.public_url``, the address
Twilio was given, because behind a proxy the request's own URL (host, scheme, port) is not what
Twilio signed. A request that fails the check is answered 403, audited, and changes nothing
else. With the outbox transport the routes do not exist (404).

CSRF protection is off for this blueprint (the signature is what authenticates a request), and
each request commits its own work.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, request
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator
from werkzeug.wrappers import Response

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.config import TwilioConfig
from partnercontact.db import db
from partnercontact.partner_side.messaging.inbound import apply_status_callback, receive_inbound
from partnercontact.policy import public
from partnercontact.runtime import current_runtime

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

# Twilio sends whatever TwiML answers an incoming text; an empty response sends nothing back.
# The service never replies by itself: a text to her phone is a decision, not an echo.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _twilio_config() -> TwilioConfig:
    messaging = current_runtime().config.messaging
    if messaging.sms_transport != "twilio":
        abort(404)
    return messaging.twilio


def _signed_by_twilio(config: TwilioConfig) -> bool:
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    url = config.public_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return RequestValidator(config.auth_token).validate(url, request.form, signature)


def _rejected(resource_id: str) -> Response:
    db.session.rollback()
    record_event(
        AuditAction.WEBHOOK_REJECTED,
        actor_id=None,
        resource_type="webhook",
        resource_id=resource_id,
        outcome=Outcome.DENIED,
    )
    db.session.commit()
    return Response("Invalid signature.\n", status=403, mimetype="text/plain")


@bp.route("/twilio/status", methods=["POST"])
@public
def twilio_status() -> Response:
    config = _twilio_config()
    if not _signed_by_twilio(config):
        return _rejected("twilio_status")
    try:
        message_id = uuid.UUID(hex=request.args.get("m", ""))
    except ValueError:
        # Signed, but not about a message of ours: nothing to record, nothing to retry.
        return Response(status=204)
    apply_status_callback(
        message_id,
        request.form.get("MessageSid") or None,
        request.form.get("MessageStatus", ""),
        request.form.get("ErrorCode") or None,
        current_runtime().clock.now(),
    )
    db.session.commit()
    return Response(status=204)


@bp.route("/twilio/inbound", methods=["POST"])
@public
def twilio_inbound() -> Response:
    config = _twilio_config()
    if not _signed_by_twilio(config):
        return _rejected("twilio_inbound")
    provider_sid = request.form.get("MessageSid", "")
    if not provider_sid:
        return Response("MessageSid is missing.\n", status=400, mimetype="text/plain")
    for attempt in (1, 2):
        try:
            receive_inbound(
                provider_sid,
                request.form.get("From", ""),
                request.form.get("Body", ""),
                current_runtime().clock.now(),
            )
            db.session.commit()
            break
        except IntegrityError:
            # Twilio's retry of the same text (or a second STOP from the number) committed
            # first; once more, the duplicate check sees it.
            db.session.rollback()
            if attempt == 2:
                raise
    return Response(EMPTY_TWIML, mimetype="text/xml")
