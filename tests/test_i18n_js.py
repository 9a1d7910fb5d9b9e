"""The scripts' words in the page's language: every t()/tn() message in static/js is in the list
the page carries (kiosk/i18n.py), and the pages that load the scripts carry it (#ui-strings)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from babel.messages.extract import extract_from_file

from kiosk import i18n

from .helpers import sign_in_as

SCRIPTS = Path(__file__).resolve().parent.parent / "static" / "js"
UI_STRINGS = re.compile(r'<script type="application/json" id="ui-strings">(.*?)</script>', re.S)


def script_messages_in_files() -> tuple[set[str], set[tuple[str, str]]]:
    """What `make translations` finds in the scripts: t()'s messages and tn()'s pairs."""
    singles, plurals = set(), set()
    for path in sorted(SCRIPTS.glob("*.js")):
        for _line, message, _comments, _context in extract_from_file(
                "javascript", str(path), keywords={"t": None, "tn": (1, 2)}):
            if isinstance(message, tuple):
                plurals.add(message[:2])
            else:
                singles.add(message)
    return singles, plurals


def carried(html: str) -> dict:
    found = UI_STRINGS.findall(html)
    assert len(found) == 1, "the page carries its scripts' messages once"
    return json.loads(found[0])


def test_every_script_message_is_in_the_list_the_page_carries_and_no_other():
    singles, plurals = script_messages_in_files()
    assert singles == set(i18n.SCRIPT_MESSAGES)
    assert plurals == set(i18n.SCRIPT_PLURALS)


def test_the_scripts_put_their_messages_in_t_as_whole_literals():
    """A message built in a template literal or passed in a variable would not be extracted (a
    message kept earlier in English is shown with translated(), outbox.js's for instance)."""
    call = re.compile(r"(?<![\w.$])tn?\(\s*+(?!\")")
    for path in sorted(SCRIPTS.glob("*.js")):
        code = "\n".join(line for line in path.read_text().splitlines()
                         if not line.lstrip().startswith("//") and "function t" not in line)
        found = call.search(code)
        assert not found, f"{path.name}: {code[found.start():found.start() + 60]}"


def test_the_pages_that_load_the_scripts_carry_their_messages(app, client, teacher):
    public = ["/", "/policy?channel=kiosk", "/accept?channel=phone", "/offline", "/staff/offline"]
    for url in public:
        html = client.get(url).get_data(as_text=True)
        assert 'src="/static/js/' in html, url
        # In English the scripts already hold every message: nothing to carry.
        assert carried(html) == {"messages": {}, "plurals": {}}, url
    sign_in_as(client, teacher)
    html = client.get("/staff/").get_data(as_text=True)
    assert 'src="/static/js/' in html
    assert carried(html) == {"messages": {}, "plurals": {}}


def test_plural_samples_are_a_count_of_each_category_of_the_language():
    assert i18n.plural_samples("en") == {"other": 0, "one": 1}
    assert i18n.plural_samples("pl") == {"many": 0, "one": 1, "few": 2}
    assert i18n.plural_samples("ur") == {"other": 0, "one": 1}


POLISH_MESSAGES = {"Try again": "Spróbuj </script> ponownie"}
POLISH_PLURALS = {"%(num)d record waiting to send": (
    "%(num)d rekord czeka", "%(num)d rekordy czekają", "%(num)d rekordów czeka")}


class FakePolish:
    """A tiny Polish catalogue, with gettext's plural rule for Polish."""

    def gettext(self, message):
        return POLISH_MESSAGES.get(message, message)

    def ngettext(self, one, many, n):
        if one not in POLISH_PLURALS:
            return one if n == 1 else many
        index = 0 if n == 1 else 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2
        return POLISH_PLURALS[one][index]


def test_a_translated_page_carries_each_plural_form_by_its_category(client, monkeypatch):
    monkeypatch.setattr(i18n, "get_translations", FakePolish)
    html = client.get("/?lang=pl").get_data(as_text=True)
    assert "</script> ponownie" not in html  # escaped: a translation cannot end the element
    assert carried(html) == {
        "messages": {"Try again": "Spróbuj </script> ponownie"},
        "plurals": {"%(num)d record waiting to send": {
            "many": "%(num)d rekordów czeka", "one": "%(num)d rekord czeka",
            "few": "%(num)d rekordy czekają"}},
    }
