"""The application factory."""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

# The scheduled tasks' handlers register themselves with the queue when their modules are
# imported: every process that runs tasks builds the app first.
from partnercontact import retention as _retention_task  # noqa: F401
from partnercontact.api import init_app as init_api
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.auth.bearer import is_api_request, user_from_request
from partnercontact.auth.models import User
from partnercontact.auth.sessions import ServerSessionInterface
from partnercontact.clock import Clock, SystemClock
from partnercontact.config import Config, load_config
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.i18n import LOCALES, compile_catalogues, install_template_translations
from partnercontact.keys import load_or_create_keyring
from partnercontact.partner_side.scheduling import jobs as _partner_side_tasks  # noqa: F401
from partnercontact.runtime import EXTENSION_KEY, Runtime, current_runtime
from partnercontact.web import audit_status, errors, guard, navigation, security
from partnercontact.web.account import bp as account_bp
from partnercontact.web.admin import bp as admin_bp
from partnercontact.web.calendar import bp as calendar_bp
from partnercontact.web.client_side import bp as client_side_bp
from partnercontact.web.management import bp as management_bp
from partnercontact.web.outbound import bp as outbound_bp
from partnercontact.web.partner_side import bp as partner_side_bp
from partnercontact.web.public import bp as public_bp
from partnercontact.web.webhooks import bp as webhooks_bp

MAX_REQUEST_BYTES = 12 * 1024 * 1024

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    # The API answers to tokens only (partnercontact.auth.bearer): a browser's session cookie,
    # sent along by any page that makes the browser call the API, opens nothing there.
    if is_api_request(request) or not user_id.isdigit():
        return None
    # The session's row brought its account along (auth.sessions): found here without a query.
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def _select_locale() -> str:
    if not has_request_context():  # command line and worker: the configured default
        return current_runtime().config.default_locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return request.accept_languages.best_match(LOCALES) or "sv"


def _discard_uncommitted(response: Response) -> Response:
    # Views commit what they mean to keep. Whatever is still pending here was left by a
    # request that did not finish its work, so it is dropped rather than half-written.
    db.session.rollback()
    return response


def create_app(
    config: Config | None = None,
    *,
    clock: Clock | None = None,
    keyring: KeyRing | None = None,
) -> Flask:
    config = config or load_config()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    keyring = keyring or load_or_create_keyring(config)

    app = Flask(
        "partnercontact",
        instance_path=str(config.instance_path),
        static_folder="web/static",
        template_folder="web/templates",
    )
    translations = compile_catalogues(config.instance_path / "translations")
    app.config.update(
        SECRET_KEY=keyring.secret_key,
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        # The token lives in the session, whose cookie or row has its own lifetimes
        # (partnercontact.auth.sessions).
        WTF_CSRF_TIME_LIMIT=None,
        # Flask-WTF's HTTPS check compares the Referer with the host, and our pages tell
        # browsers never to send a Referer (a case URL must not leak to another site). The
        # token in every form and the SameSite session cookie carry the protection.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=config.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(translations),
        PREFERRED_URL_SCHEME="https" if config.server.tls else "http",
        **config.extra.get("flask", {}),
    )
    app.extensions[EXTENSION_KEY] = Runtime(
        config=config, keyring=keyring, clock=clock or SystemClock()
    )

    db.init_app(app)
    app.session_interface = ServerSessionInterface()
    login_manager.init_app(app)
    login_manager.session_protection = None
    login_manager.request_loader(user_from_request)
    # Audit events of a request join the chain at its commit (partnercontact.audit.service).
    app.before_request(defer_appends_until_commit)
    # The policy hook is registered before CSRF so that a route a role may not use answers
    # 403 whatever the request carries.
    guard.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    install_template_translations(app.jinja_env)
    security.init_app(app)
    errors.init_app(app)
    navigation.init_app(app)
    audit_status.init_app(app)
    app.after_request(_discard_uncommitted)

    for blueprint in (
        public_bp,
        account_bp,
        client_side_bp,
        partner_side_bp,
        management_bp,
        admin_bp,
        outbound_bp,
        calendar_bp,
        webhooks_bp,
    ):
        app.register_blueprint(blueprint)
    # Twilio's webhooks carry no session and no CSRF token: their signature authenticates
    # them (partnercontact.web.webhooks).
    csrf.exempt(webhooks_bp)
    init_api(app, csrf)

    logging.getLogger("partnercontact").setLevel(logging.INFO)
    return app
