"""Every page's words are translated (issue 16): each page a role can open, rendered in English
and in Polish and Urdu, must not show the same English words in both. A string that does not go
through Flask-Babel shows up here as English text on the Polish or Urdu page.

What may stay the same: the school's own texts and the records' data (names, the policy, which
the head translates separately), and the few words kept in English on purpose (below)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.support import Translations
from peewee import CharField, TextField

from kiosk.i18n import LANGUAGES
from kiosk.models import MODELS, StaffUser

from .helpers import sign_in_as
from .test_access import MATRIX, make_world
from .test_i18n import TRANSLATIONS

# Kept in English on purpose, or not words at all.
SAME_IN_EVERY_LANGUAGE = {
    "English", "Read it in English", "Policy Kiosk",
    "name,email,role",  # the CSV file's own column names, which the import reads in English
}
# Elements whose text is data (the policy, a record's own words), not the interface.
DATA = ("policy-body", "policy-source", "record-title")


class _Text(HTMLParser):
    """The visible text of a page, a list of its text pieces, without scripts, styles and the
    parts marked as data."""

    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._skip: list[bool] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        skip = (tag in ("script", "style", "title", "textarea", "option", "pre")
                or any(c in DATA for c in classes) or attrs.get("lang") == "en"
                or bool(self._skip and self._skip[-1]))
        self._skip.append(skip)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self._skip:
            self._skip.pop()

    def handle_data(self, data):
        if not (self._skip and self._skip[-1]) and data.strip():
            self.pieces.append(" ".join(data.split()))


def visible_pieces(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return set(parser.pieces)


def data_words(app) -> set[str]:
    """Every text the database holds (names, emails, the breach categories the school words,
    what a request says, a device's name): data, shown as it was written."""
    found = set()
    with app.app_context():
        for model in MODELS:
            fields = [f for f in model._meta.sorted_fields if isinstance(f, (CharField, TextField))]
            for row in model.select(*fields).tuples():
                found.update(str(v).strip() for v in row if v and len(str(v).strip()) > 2)
    return found


def same_in_translation(language: str) -> set[str]:
    """Words a translator kept as they are ("Status" and "Link" are Polish too)."""
    catalogue = Translations.load(str(TRANSLATIONS), [language])
    return {k for k, v in catalogue._catalog.items() if isinstance(k, str) and k == v}


def _is_data(piece: str, keep: set[str]) -> bool:
    """The piece is a kept text, or one with a name before it ("Ann: ...") or a count after
    it ("... (4)"), as lists and charts show them."""
    bare = re.sub(r"^[^:]{1,40}: |\s*\(\d+\)$", "", piece)
    return (piece in keep or piece.strip(" :·,") in keep or bare in keep
            or re.fullmatch(r"https?://\S+", piece) is not None)  # an address


def _page(client, path: str) -> str | None:
    """The page's HTML, or None for anything that is not a page (a picture, a download)."""
    response = client.get(path)
    try:
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            return None
        return response.get_data(as_text=True)
    finally:
        response.close()


ROLES_TO_WALK = ("anonymous", "reporter", "dsl", "head", "chair")


@pytest.mark.one_database("renders pages; what a page's words are does not depend on the database")
@pytest.mark.parametrize("language", ["pl", "ur"])
def test_no_page_shows_english_words_that_the_catalogue_should_have_translated(app, language):
    app.config["KIOSK_REFUSED_PER_MINUTE"] = 10_000
    with app.app_context():
        world = make_world()
    keep = data_words(app) | SAME_IN_EVERY_LANGUAGE | set(LANGUAGES.values()) | same_in_translation(
        language)
    untranslated: dict[str, set[str]] = {}
    for role in ROLES_TO_WALK:
        client = app.test_client()
        if role != "anonymous":
            with app.app_context():
                sign_in_as(client, StaffUser.get_by_id(world["users"][role].id))
        for _endpoint, method, template, expected in MATRIX:
            if method != "GET" or expected[role] != 200:
                continue
            path = template.format(**{k: v for k, v in world.items() if k != "users"})
            joiner = "&" if "?" in path else "?"
            english, other = (_page(client, path + joiner + "lang=en"),
                              _page(client, path + joiner + f"lang={language}"))
            if english is None or other is None:
                continue
            same = visible_pieces(english) & visible_pieces(other)
            words = {piece for piece in same
                     if re.search(r"[A-Za-z]{3,}", piece) and not _is_data(piece, keep)}
            if words:
                untranslated.setdefault(path, set()).update(words)
    assert untranslated == {}, "English left on these pages: " + "; ".join(
        f"{path}: {sorted(words)[:6]}" for path, words in sorted(untranslated.items()))
