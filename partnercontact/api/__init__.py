"""The JSON API under ``/api/v1``: the same services and the same policy as the pages.

Every view declares its permission with :func:`partnercontact.policy.requires` exactly like a
page, so the guard, the role-by-route test and the canaries cover the API as they cover the
pages. Requests authenticate with a personal token (:mod:`partnercontact.auth.tokens`) in
``Authorization: Bearer``; the browser session is not accepted here, so a page cannot be
made to call the API on a logged-in user's behalf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from apispec import APISpec, BasePlugin
from flask import Flask
from flask_smorest import Api

from partnercontact.api import calendar, client, docs, management, partner
from partnercontact.api.bodies import refuse_deep_json
from partnercontact.api.client import clients, consents, episodes, handover  # noqa: F401
from partnercontact.api.errors import ErrorOut
from partnercontact.api.partner import cases, clinical, contact, relay, sessions  # noqa: F401
from partnercontact.policy import public

if TYPE_CHECKING:
    from collections.abc import Callable

    from flask.typing import ResponseReturnValue
    from flask_wtf.csrf import CSRFProtect

PREFIX = "/api/v1"
# The route modules of each side, imported above, add their operations to the side's blueprint
# when imported (in the order of the document), so all are there before the blueprints are
# registered. A side's package imports neither the other side's nor this one: no cycle.
BLUEPRINTS = (client.blp, partner.blp, management.blp, calendar.blp)
DOCUMENT_ENDPOINT = "api-docs.openapi_json"


class PartnerContactApi(Api):
    # Errors are answered by partnercontact.web.errors for pages and API alike.
    ERROR_SCHEMA = ErrorOut
    # No catch-all "default" response: every status an operation can answer is written out,
    # so a client (and the schema tests) can rely on the list.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass


class OptionalBodies(BasePlugin):
    """Documents a body none of whose fields is required as one that may be left out.

    webargs reads a missing body, or one that is not JSON, as an empty object, and the
    operations leave their fields optional so that a record route looks its record up first
    (answering 404 about another's record whatever is sent) and the service names the missing
    field. The document says so rather than promising a refusal that does not come.
    """

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(
        self, path: str | None = None, operations: dict | None = None, **kwargs: Any
    ) -> None:
        for operation in (operations or {}).values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body and not any(
                self._requires_a_field(media.get("schema"))
                for media in body.get("content", {}).values()
            ):
                body["required"] = False

    def _requires_a_field(self, schema: Any) -> bool:
        if isinstance(schema, dict) and "$ref" in schema:
            schema = schema["$ref"].rsplit("/", 1)[-1]
        if isinstance(schema, str):
            schema = self.spec.components.schemas.get(schema, {})
        if not isinstance(schema, dict) or schema.get("type", "object") != "object":
            return True  # a list or a value: an empty object is not one
        return bool(schema.get("required"))


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    app.config.update(
        API_TITLE="partnercontact",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": "Partner contact: clients, consents, hand-over, the partner "
                "side, contact sessions, the relay inbox and statistics. Every operation "
                "answers with the permissions of the token's owner.",
            },
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "token": {"type": "http", "scheme": "bearer", "bearerFormat": "pc_…"}
                }
            },
            "security": [{"token": []}],
        },
    )
    # Before any view (and so before webargs) reads a body.
    app.before_request(refuse_deep_json)
    api = PartnerContactApi(app, spec_kwargs={"extra_plugins": [OptionalBodies()]})
    # The document describes the API and holds no data: integrations read it before they
    # have a token.
    # flask-smorest's view of the document is synchronous (it answers a Response); Flask's type
    # for a view also admits a coroutine function, which the wrapper below could not call.
    serve_document = cast(
        "Callable[[], ResponseReturnValue]", app.view_functions[DOCUMENT_ENDPOINT]
    )
    app.view_functions[DOCUMENT_ENDPOINT] = public(lambda: serve_document())
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
    app.register_blueprint(docs.bp)
    app.extensions["partnercontact-api"] = api
