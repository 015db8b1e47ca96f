"""The portal's application factory: a Flask app of its own, never the staff app's.

It shares the database, the keys and the runtime with the staff app, and nothing of its web
layer: its own cookie (``pc_portal``, ``__Host-`` over TLS, SameSite strict), its own session
table and lifetimes (``partnercontact.portal.sessions``), its own templates, headers and
routes. A staff address on the portal's host answers 404, because the portal has no such
route.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from partnercontact.clock import Clock, SystemClock
from partnercontact.config import Config, load_config
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.i18n import PORTAL_LOCALES, compile_catalogues, install_template_translations
from partnercontact.keys import load_or_create_keyring

# Its routes join the portal's blueprint when the module is imported.
from partnercontact.portal import appearance as _appearance  # noqa: F401
from partnercontact.portal import notices as _notices  # noqa: F401
from partnercontact.portal import plan as _plan  # noqa: F401
from partnercontact.portal import requests as _requests  # noqa: F401
from partnercontact.portal import safety as _safety  # noqa: F401
from partnercontact.portal import views
from partnercontact.portal.security import add_portal_headers
from partnercontact.runtime import EXTENSION_KEY, Runtime, current_runtime

COOKIE_NAME = "pc_portal"
MAX_REQUEST_BYTES = 12 * 1024 * 1024

_csrf = CSRFProtect()
_babel = Babel()


def _select_locale() -> str:
    if not has_request_context():
        return current_runtime().config.default_locale
    chosen = session.get("locale")
    if chosen in PORTAL_LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(PORTAL_LOCALES) or "sv"


def _discard_uncommitted(response: Response) -> Response:
    db.session.rollback()
    return response


def create_portal_app(
    config: Config | None = None,
    *,
    clock: Clock | None = None,
    keyring: KeyRing | None = None,
) -> Flask:
    config = config or load_config()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    keyring = keyring or load_or_create_keyring(config)
    app = Flask(
        "partnercontact.portal",
        instance_path=str(config.instance_path),
        static_folder="static",
        static_url_path="/static",
        template_folder="templates",
    )
    translations = compile_catalogues(config.instance_path / "translations")
    tls = config.server.tls
    app.config.update(
        # Its own key, derived from the web secret: a staff cookie is no portal cookie.
        SECRET_KEY=hmac.new(keyring.secret_key, b"portal session", hashlib.sha256).digest(),
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        SESSION_COOKIE_NAME=("__Host-" if tls else "") + COOKIE_NAME,
        SESSION_COOKIE_SECURE=tls,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # The cookie lasts as long as her longest session may; the row decides before that.
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.portal.session_absolute_minutes),
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=config.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(translations),
        PREFERRED_URL_SCHEME="https" if tls else "http",
        **config.extra.get("flask", {}),
    )
    app.extensions[EXTENSION_KEY] = Runtime(
        config=config, keyring=keyring, clock=clock or SystemClock()
    )
    db.init_app(app)
    _csrf.init_app(app)
    _babel.init_app(app, locale_selector=_select_locale)
    install_template_translations(app.jinja_env)
    app.after_request(add_portal_headers)
    app.after_request(_discard_uncommitted)
    if config.portal.proxy_hops:
        # Her address as the proxies saw it, for the limit on failed logins per address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.portal.proxy_hops)  # type: ignore[method-assign]
    app.register_blueprint(views.bp)
    app.context_processor(
        lambda: {"config_exit_url": config.portal.exit_url, "get_locale": get_locale}
    )
    # The quick exit must work whatever state the page is in: it only ever ends a session.
    _csrf.exempt(views.quick_exit)
    logging.getLogger("partnercontact").setLevel(logging.INFO)
    return app
