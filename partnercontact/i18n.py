"""Translations. Message ids are English; Swedish is the first language of the interface.

Services mark their user-facing messages with :func:`_l` (lazy), so the same error reads in
Swedish or English depending on who receives it. Catalogues are kept as ``.po`` files in
``partnercontact/translations`` and compiled into the instance folder at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import g
from flask_babel import get_translations, lazy_gettext
from jinja2 import pass_context

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

LOCALES = ("sv", "en")
# Her portal speaks Arabic too (its own pages and the notice of a new message), right to left.
PORTAL_LOCALES = ("sv", "en", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
SOURCE_DIR = Path(__file__).resolve().parent / "translations"

_l = lazy_gettext


def compile_catalogues(target: Path) -> Path:
    """Compile every ``.po`` whose ``.mo`` under ``target`` is missing or older."""
    for po_path in SOURCE_DIR.glob("*/LC_MESSAGES/messages.po"):
        locale = po_path.parent.parent.name
        mo_path = target / locale / "LC_MESSAGES" / "messages.mo"
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as source:
            catalogue = read_po(source, locale=locale)
        # Every web worker may compile at the same start: each writes a file of its own and
        # the last rename wins, with the same content.
        tmp = mo_path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as out:
            write_mo(out, catalogue)
        tmp.replace(mo_path)
    return target


def install_template_translations(jinja_env: Environment) -> None:
    """Templates find their words in the request's catalogue, looked up once per request and
    locale rather than at every word (a case page has some two hundred)."""
    jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Most words of a page are fixed text: each is translated, escaped and formatted once a
    # catalogue, not at every render. ``_`` finds this through the environment too.
    installed = cast("Callable[..., str]", jinja_env.globals["gettext"])
    jinja_env.globals["gettext"] = _remembering_fixed_words(installed)


# A catalogue's fixed words as an escaping template shows them, by message id.
_SHOWN: WeakKeyDictionary[NullTranslations, dict[str, str]] = WeakKeyDictionary()


def _remembering_fixed_words(gettext: Callable[..., str]) -> Callable[..., str]:
    """Jinja's new-style ``gettext``, its answer for words without variables in an escaping
    template remembered for the request's catalogue."""

    @pass_context
    def remembering(context: Context, message: str, **variables: Any) -> str:
        if variables or not context.eval_ctx.autoescape:
            return gettext(context, message, **variables)
        shown = _SHOWN.setdefault(_request_translations(), {})
        words = shown.get(message)
        if words is None:
            words = shown[message] = gettext(context, message)
        return words

    return remembering


def _request_translations() -> NullTranslations:
    # Flask-Babel keeps the request's locale in g._flask_babel.babel_locale once chosen, and
    # replaces it for the duration of force_locale(): the catalogue kept here is reused only
    # while that very locale object is in force.
    try:
        locale = g._flask_babel.babel_locale
    except AttributeError:
        return get_translations()
    kept = g.get("_pc_translations")
    if kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    g._pc_translations = (locale, translations)
    return translations
