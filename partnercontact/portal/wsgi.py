"""Entry point for her portal under a WSGI server, on its own address:
``gunicorn 'partnercontact.portal.wsgi:app'`` (docs/operations.md). The schema must be current,
as for the staff app."""

from partnercontact import migrate
from partnercontact.config import ConfigError, load_config
from partnercontact.portal.app import create_portal_app

config = load_config()
if not config.is_development and not migrate.is_at_head(config.database_url):
    raise ConfigError("the database schema is not current: run `partnercontact db upgrade`")

app = create_portal_app(config)
