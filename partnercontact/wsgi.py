"""Entry point for a WSGI server: ``gunicorn 'partnercontact.wsgi:app'``.

The schema must already be current (`partnercontact db upgrade`); the worker runs in its own
process (`partnercontact worker`).
"""

from partnercontact.app import create_app

app = create_app()
