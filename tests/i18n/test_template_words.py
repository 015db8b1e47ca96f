"""The words of a page come from the catalogue of whoever asks, however often others ask in
another language in between."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import submit, text_of


def _in_english(app: Flask) -> FlaskClient:
    browser = app.test_client()
    submit(browser, "/login", {"locale": "en", "next": "/login"}, action="/language")
    return browser


def test_two_visitors_taking_turns_each_read_their_own_language(
    app: Flask, client: FlaskClient
) -> None:
    english = _in_english(app)
    for _ in range(3):
        swedish_page = text_of(client.get("/login"))
        english_page = text_of(english.get("/login"))
        # A form's label, and words of the template itself.
        assert "Användarnamn" in swedish_page and "Username" not in swedish_page
        assert "Username" in english_page and "Användarnamn" not in english_page
        assert "Logga in" in swedish_page and "Log in" not in swedish_page
        assert "Log in" in english_page and "Logga in" not in english_page
        assert 'lang="sv"' in swedish_page and 'lang="en"' in english_page
