"""The languages the app speaks, and which one a request is answered in.

- Every string a person reads goes through Flask-Babel: `_()` / `{% trans %}` in templates,
  `gettext`/`lazy_gettext` (as `_`/`_l`) in Python. The catalogues are in `kiosk/translations/`
  (`make translations` extracts and updates them; docs/TRANSLATING.md).
- Which language: a `lang` in the address when it names one of `LANGUAGES` (the kiosk's picker
  puts it there), else the best match for the browser's own languages (a phone), else English.
  Nothing is remembered between requests: the public pages carry `lang` in every link they make
  (`_carry_language`), so a page the service worker cached is the page in that language, and the
  kiosk is back in English when it returns to the start screen for the next person.
- What stays English whatever the page's language: what is stored (audit entries, records) and
  what is emailed to staff, which is read later by someone else.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale

# The interface is complete in each (tests/test_i18n.py checks every message is translated).
# Each name is written in its own language, as a picker shows it.
LANGUAGES: dict[str, str] = {"en": "English", "pl": "Polski", "ur": "اردو"}
RIGHT_TO_LEFT = frozenset({"ur"})
DEFAULT = "en"

babel = Babel()


def chosen_language() -> str | None:
    """The language the address asks for, if it is one the app speaks."""
    lang = request.args.get("lang", "")
    return lang if lang in LANGUAGES else None


def select_language() -> str:
    if not has_request_context():  # a command, or a rule checked outside a request: English
        return DEFAULT
    chosen = chosen_language()
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def language() -> str:
    """The code of the language this request is answered in ("en", "pl", "ur")."""
    if "language" not in g:
        g.language = str(get_locale() or DEFAULT)
    return g.language


def direction() -> str:
    return "rtl" if language() in RIGHT_TO_LEFT else "ltr"


def carry_language(endpoint: str, values: dict) -> None:
    """A public page opened in a chosen language links onward in it (the picker's choice lasts
    for one person's visit, not in a cookie the next person inherits). Registered on the public
    blueprint (`public.py`); `url_for(..., lang=None)` leaves it out (the kiosk's start screen)."""
    if endpoint == "public.home":  # the start screen is the next person's: in English
        return
    if "lang" not in values and has_request_context() and chosen_language():
        values["lang"] = chosen_language()


def language_links() -> list[dict]:
    """The picker: this page in each language (a form page links to its empty form)."""
    links = []
    for code, name in LANGUAGES.items():
        args = request.args.copy()
        args["lang"] = code
        links.append({"code": code, "name": name, "current": code == language(),
                      "url": request.path + "?" + urlencode(list(args.items(multi=True)))})
    return links


def _shared() -> dict:
    return {"language": language, "direction": direction, "language_links": language_links}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_language)
    # Whitespace inside {% trans %} blocks is folded, as `make translations` extracts it.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_shared)
