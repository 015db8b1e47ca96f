from __future__ import annotations

from flask_wtf import FlaskForm


class CreateFeedForm(FlaskForm):
    """Nothing but the CSRF token: make a new private address."""


class RevokeFeedForm(FlaskForm):
    """Nothing but the CSRF token: the confirmation that the address is to stop working."""


class MarkDoneForm(FlaskForm):
    """Nothing but the CSRF token: the reminder is in the URL."""
