"""The languages the app speaks, and which one a request is answered in.

- Every string a person reads goes through Flask-Babel: `_()` / `{% trans %}` in templates,
  `gettext`/`lazy_gettext` (as `_`/`_l`) in Python. The catalogues are in `kiosk/translations/`
  (`make translations` extracts and updates them; docs/TRANSLATING.md).
- Which language: a `lang` in the address when it names one of `LANGUAGES` (the kiosk's picker
  puts it there), else the best match for the browser's own languages (a phone), else English.
  Nothing is remembered between requests: links to the pages one person reads in turn carry
  `lang` on (`carry_language`, `CARRIED`), so a page the service worker cached is the page in
  that language, and the kiosk is back in English when it returns to the start screen for the
  next person (a start screen in a chosen language returns to the English one when left).
- What stays English whatever the page's language: what is stored (audit entries, records) and
  what is emailed to staff, which is read later by someone else.
- The scripts in static/js write their messages in English, inside `t("...")` or
  `tn("one", "many", n)` (static/js/i18n.js, plural.js), where `make translations` finds them.
  Each page carries their translations into its language (`script_messages`, the JSON of
  base.html's #ui-strings); a message it does not carry is shown in English.
"""

from __future__ import annotations

from urllib.parse import urlencode

from babel.core import Locale
from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale, get_translations

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
    if not has_request_context():  # a command (create-user) with the app but no request
        return DEFAULT
    chosen = chosen_language()
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT)


def language() -> str:
    """The code of the language this request is answered in ("en", "pl", "ur"); inside
    `force_locale` (an email), that one. Flask-Babel keeps the choice for the request."""
    return str(get_locale() or DEFAULT)


def direction() -> str:
    return "rtl" if language() in RIGHT_TO_LEFT else "ltr"


# The public pages one person reads in turn: a link to one of them from a page in a chosen
# language stays in it. Not the start screen (the next person's), pictures, the QR code, the
# poster or a tablet's report; and an address made for someone else (a QR code, an email) is
# made with lang=None.
CARRIED = frozenset({"public.policy", "public.accept", "public.privacy", "public.thanks",
                     "public.personal", "public.phone", "public.pair_device"})


def carry_language(endpoint: str, values: dict) -> None:
    """A public page opened in a chosen language links onward in it (the picker's choice lasts
    for one person's visit, not in a cookie the next person inherits). Registered on the public
    blueprint (`public.py`); `url_for(..., lang=None)` leaves it out (the kiosk's start screen)."""
    if endpoint not in CARRIED and not endpoint.startswith("public.person_"):
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


# What the scripts in static/js show, exactly as they write it in t() and tn() (their own
# English is the message). tests/test_i18n_js.py checks this against the scripts both ways, so
# a new message cannot be left out and an old one does not linger.
SCRIPT_MESSAGES: tuple[str, ...] = (
    "%(label)s: %(message)s",
    "%(time)s on %(date)s",
    "%(waiting)s, %(attention)s",
    "An acceptance",
    "Breach logged %(when)s",
    "Copied. Now paste them where you need them.",
    "Deletion request %(when)s",
    "Error:",
    "No changes yet.",
    "OK, I understand",
    "Pasted as plain text: its formatting could not be kept.",
    "Pasted with its headings, lists, bold and links kept; everything else was left out.",
    "Remove from this iPad",
    "Remove the records that need attention from this iPad? They were never saved on the server.",
    "Saved on this iPad. It will be sent when the connection is back.",
    "Saved on this iPad. Sign in again to send it.",
    "Sign in first: this iPad does not know who you are.",
    "Sign in to send",
    "Sign in when the connection is back: this iPad does not know who you are yet.",
    "Thank you – %(name)s",
    "The headteacher's permissions could not be checked just now. You can still save this.",
    "The links are selected: copy them with Ctrl+C (⌘C on a Mac or an iPad keyboard), or with "
    "Copy on your screen.",
    "The server did not accept this record.",
    "The server refused this record; the reason is shown at the top of the screen.",
    "There is a problem",
    "This iPad could not save the record. Please try again.",
    "Try again",
    "What a child told you, %(when)s",
    "Working offline as %(name)s.",
    "bold words",
    "words to show",
)
# tn()'s messages: (singular, plural) as the scripts write them.
SCRIPT_PLURALS: tuple[tuple[str, str], ...] = (
    ("%(num)d needs attention", "%(num)d need attention"),
    ("%(num)d record is still waiting to send from this iPad. If you sign out now they stay here "
     "and are sent when you next sign in.",
     "%(num)d records are still waiting to send from this iPad. If you sign out now they stay "
     "here and are sent when you next sign in."),
    ("%(num)d record not yet sent from this device was lost when the browser cleared its saved "
     "data. Please tell the office.",
     "%(num)d records not yet sent from this device were lost when the browser cleared its saved "
     "data. Please tell the office."),
    ("%(num)d record saved on this iPad was cleared by the browser before it could be sent. "
     "Please enter it again.",
     "%(num)d records saved on this iPad were cleared by the browser before they could be sent. "
     "Please enter them again."),
    ("%(num)d record waiting to send", "%(num)d records waiting to send"),
    ("This screen goes back to the start in %(num)d second.",
     "This screen goes back to the start in %(num)d seconds."),
)


def plural_samples(code: str) -> dict[str, int]:
    """A whole number of each CLDR plural category of a language ("one": 1, "few": 2, "many": 5
    in Polish), the categories `Intl.PluralRules` gives the scripts. A category no whole number
    falls in (Polish "other", for fractions) is left out: a count never needs it."""
    rule = Locale.parse(code).plural_form
    samples: dict[str, int] = {}
    for n in range(200):
        samples.setdefault(rule(n), n)
    return samples


def script_messages() -> dict:
    """The scripts' messages in this request's language, for base.html's #ui-strings:
    {"messages": {English: translated}, "plurals": {singular: {category: translated}}}. Only what
    differs from the English the scripts already hold (an English page carries nothing)."""
    translations = get_translations()
    messages = {}
    for message in SCRIPT_MESSAGES:
        translated = translations.gettext(message)
        if translated != message:
            messages[message] = translated
    plurals = {}
    samples = plural_samples(language())
    for one, many in SCRIPT_PLURALS:
        forms = {category: translations.ngettext(one, many, n) for category, n in samples.items()}
        english = {category: one if n == 1 else many for category, n in samples.items()}
        if forms != english:
            plurals[one] = forms
    return {"messages": messages, "plurals": plurals}


def _shared() -> dict:
    return {"language": language, "direction": direction, "language_links": language_links,
            "script_messages": script_messages}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_language)
    # Whitespace inside {% trans %} blocks is folded, as `make translations` extracts it.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.context_processor(_shared)
