"""The languages (issue 16): which one a page is in, and that each is complete.

English, Polish and Urdu (right to left). The kiosk's picker puts `lang` in the address and
every public link carries it on; a phone gets its browser's language; the start screen is the
next person's, in English. Every message in the catalogue is translated in each language."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kiosk.i18n import LANGUAGES, RIGHT_TO_LEFT

TRANSLATIONS = Path(__file__).resolve().parent.parent / "kiosk" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


def html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)


def test_a_phone_gets_the_browsers_language(client):
    assert 'lang="pl" dir="ltr"' in html_tag(client.get(
        "/policy?channel=phone", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}).text)
    assert 'lang="ur" dir="rtl"' in html_tag(client.get(
        "/policy?channel=phone", headers={"Accept-Language": "ur"}).text)
    # A language the app does not speak, or none: English.
    assert 'lang="en-GB" dir="ltr"' in html_tag(client.get(
        "/policy?channel=phone", headers={"Accept-Language": "fr-FR"}).text)
    assert 'lang="en-GB"' in html_tag(client.get("/policy?channel=phone").text)


def test_the_picker_choice_wins_over_the_browser_and_is_carried_to_the_next_page(client):
    page = client.get("/policy?channel=kiosk&lang=ur", headers={"Accept-Language": "pl"}).text
    assert 'lang="ur" dir="rtl"' in html_tag(page)
    # Onward links keep the choice...
    assert re.search(r'href="/accept\?channel=kiosk&amp;lang=ur"', page)
    # ...but going back to the start is for the next person: in English.
    assert 'data-home-url="/"' in page
    assert 'lang="en-GB"' in html_tag(client.get("/").text)
    # An unknown code is ignored, and not carried.
    page = client.get("/policy?channel=kiosk&lang=xx").text
    assert 'lang="en-GB"' in html_tag(page) and "lang=xx" not in page


def test_the_picker_offers_each_language_in_its_own_name_and_marks_the_current(client):
    page = client.get("/policy?channel=kiosk&lang=pl").text
    picker = re.search(r'<nav class="language-picker".*?</nav>', page, re.S).group(0)
    for code, name in LANGUAGES.items():
        assert f'lang="{code}"' in picker and name in picker
    assert re.search(r'<a href="/policy\?channel=kiosk&amp;lang=pl" lang="pl" hreflang="pl" '
                     r'aria-current="true">Polski</a>', picker)
    assert picker.count("aria-current") == 1


def test_staff_pages_have_no_language_picker(client, teacher):
    from .helpers import sign_in_as

    sign_in_as(client, teacher)
    assert "language-picker" not in client.get("/staff/").text


def test_a_second_request_is_not_answered_in_the_first_ones_language(app):
    """Nothing about the language is remembered between requests, on one browser."""
    client = app.test_client()
    client.get("/policy?channel=phone&lang=ur")
    assert 'lang="en-GB"' in html_tag(client.get("/policy?channel=phone").text)


# The catalogues --------------------------------------------------------------------------------


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def _template():
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_message_is_translated_with_the_same_placeholders(language):
    catalogue = _catalogue(language)
    ids = {m.id for m in _template() if m.id}
    missing, wrong = [], []
    for message in catalogue:
        if not message.id or message.id not in ids:
            continue
        ids.discard(message.id)
        singular = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(singular)
            continue
        # Each form against its own English: the first form (for one) against the singular,
        # the others against the plural. Only the number itself may be said in words instead.
        forms = message.id if isinstance(message.id, tuple) else (message.id,)
        for index, string in enumerate(strings):
            english = forms[min(index, len(forms) - 1)]
            wanted = set(PLACEHOLDER.findall(english)) - {"num", "count"}
            if not wanted <= set(PLACEHOLDER.findall(string)) <= wanted | {"num", "count"} or (
                    set(PLACEHOLDER.findall(string)) - set(PLACEHOLDER.findall(english))):
                wrong.append((singular, string))
    assert sorted(ids) == [], f"not in the {language} catalogue (make translations)"
    assert missing == [], f"{len(missing)} messages not translated into {language}"
    assert wrong == [], f"placeholders differ in {language}"


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_the_compiled_catalogue_is_the_translated_one(language):
    """The .mo the app reads was compiled from the .po as it is (make translations)."""
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    written = {_key(m.id): _key(m.string) for m in _catalogue(language) if m.id and not m.fuzzy}
    assert compiled == written


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_urdu_is_the_right_to_left_one():
    assert RIGHT_TO_LEFT == {"ur"}


def test_the_catalogue_template_holds_every_message_in_the_code():
    """A string marked since the last `make translations` is not in the catalogues yet: the
    Polish and Urdu pages would show it in English."""
    from babel.messages.frontend import CommandLineInterface

    root = TRANSLATIONS.parent.parent
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "now.pot"
        _extract(CommandLineInterface, root, out)
        with open(out, "rb") as f:
            now = {m.id for m in read_po(f) if m.id}
    assert now - {m.id for m in _template() if m.id} == set(), "run make translations"


def _extract(cli, root: Path, out: Path) -> None:
    cli().run([
        "pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "-k", "lazy_ngettext:1,2", "-k", "t", "-k", "tn:1,2", "--no-location", "-o", str(out),
        str(root)])


def test_a_refusal_from_the_api_is_in_the_language_the_page_asked_for(client):
    """The kiosk's outbox sends an acceptance with the page's ?lang=: a reason beside a field
    reads as the page does."""
    import uuid as uuid_module

    headers = {"X-Kiosk-Client": "outbox", "Idempotency-Key": str(uuid_module.uuid4())}
    body = {"full_name": "", "role": "parent", "accept": True, "policy_version": "1",
            "channel": "kiosk", "accepted_at": "2026-11-27T08:00:00Z"}
    urdu = client.post("/api/v1/acceptances?lang=ur", json=body, headers=headers)
    english = client.post("/api/v1/acceptances", json=body, headers={
        **headers, "Idempotency-Key": str(uuid_module.uuid4())})
    assert urdu.status_code == english.status_code == 422
    assert english.get_json()["fields"]["full_name"] == "Please enter your full name."
    said = urdu.get_json()["fields"]["full_name"]
    assert said != "Please enter your full name." and re.search(r"[\u0600-\u06FF]", said)


def test_the_language_stays_only_on_the_pages_one_person_reads_in_turn(client):
    home = client.get("/?lang=pl").text
    # The QR code and the poster send each phone to its own language, not the tablet's choice.
    assert 'src="/qr.svg"' in home and "/phone?lang" not in home
    assert "/phone?lang" not in client.get("/poster?lang=pl").text
    # A start screen in a chosen language goes back to the English one when left.
    assert 'data-idle-seconds' in home and 'data-home-url="/"' in home
    assert 'data-idle-seconds' not in client.get("/").text


def test_choosing_a_language_after_a_refused_form_keeps_the_kiosk_and_the_personal_link(app, client):
    from kiosk.roster import add_person

    from .helpers import form_page

    with app.app_context():
        person = add_person("Paula Roster", "paula@example.org", "volunteer")
    for url, kept in (("/accept?channel=kiosk&lang=pl", "channel=kiosk"),
                      (f"/accept?token={person.token}&lang=pl", f"token={person.token}")):
        page = client.get(url).text
        action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
        data = form_page(client, url)
        data["full_name"] = ""
        refused = client.post(action, data=data)
        assert refused.status_code == 422
        picker = re.search(r'<nav class="language-picker".*?</nav>', refused.text, re.S).group(0)
        assert picker.count(kept) == len(LANGUAGES), (url, picker)
