"""Translations of the policy (issue 16): the head adds one for the current version; the kiosk
and phones offer it in that language, marked "The English version is the one that applies"
unless the head says otherwise; the acceptance records the language and the translation shown."""

from __future__ import annotations

import re
import uuid

import pytest

from kiosk import policy_translations
from kiosk.models import Acceptance, AuditEvent, PolicyTranslation, PolicyVersion

from .helpers import KEY_POINTS, field_error, form_page, make_policy, nothing_written, sign_in_as

POLISH = {
    "title": "Polityka dotycząca mediów społecznościowych i telefonów komórkowych",
    "key_points": "Telefony z dala od dzieci.\nŻadnych zdjęć uczniów.\nPorozmawiaj z DSL.",
    "body": "## Wstęp\n\nTekst polityki po polsku.\n",
}
URDU = {
    "title": "سوشل میڈیا اور موبائل فون کی پالیسی",
    "key_points": "بچوں کے قریب فون دور رکھیں۔\nشاگردوں کی تصاویر نہیں۔\nفکر ہو تو DSL سے بات کریں۔",
    "body": "## تعارف\n\nپالیسی کا متن اردو میں۔\n",
}


@pytest.fixture
def version(app):
    with app.app_context():
        return make_policy(key_points=KEY_POINTS)


def translate(client, language: str, fields: dict, *, english_applies: bool = True):
    data = form_page(client, f"/admin/policy/translations/{language}")
    data.update(fields)
    if english_applies:
        data["english_applies"] = "y"
    else:
        data.pop("english_applies", None)
    return client.post(f"/admin/policy/translations/{language}", data=data)


def test_the_head_adds_a_translation_of_the_current_version(app, client, head, version):
    sign_in_as(client, head)
    listed = client.get("/admin/policy/translations").get_data(as_text=True)
    assert "Polski" in listed and "No translation of this version yet" in listed
    response = translate(client, "pl", POLISH)
    assert response.status_code == 303
    with app.app_context():
        saved = PolicyTranslation.get()
        assert (saved.language, saved.title, saved.policy_version_id) == ("pl", POLISH["title"], version.id)
        assert saved.english_applies is True and saved.created_by == head.display_name
        assert saved.key_point_list == POLISH["key_points"].split("\n")
        event = AuditEvent.get(AuditEvent.action == "policy.translation_saved")
        assert '"language": "pl"' in event.detail and event.record_id == str(saved.id)
    listed = client.get("/admin/policy/translations").get_data(as_text=True)
    assert "Offered since" in listed and "the English version is the one that applies" in listed


def test_saving_again_replaces_it_for_new_readers_and_keeps_the_old_row(app, client, head, version):
    sign_in_as(client, head)
    translate(client, "pl", POLISH)
    # The form starts from the translation offered now.
    assert form_page(client, "/admin/policy/translations/pl")["title"] == POLISH["title"]
    translate(client, "pl", {**POLISH, "title": "Polityka (poprawiona)"}, english_applies=False)
    with app.app_context():
        rows = list(PolicyTranslation.select().order_by(PolicyTranslation.id))
        assert [r.title for r in rows] == [POLISH["title"], "Polityka (poprawiona)"]
        offered = PolicyTranslation.offered(version, "pl")
        assert offered.id == rows[1].id and offered.english_applies is False
    listed = client.get("/admin/policy/translations").get_data(as_text=True)
    assert "Replaced by a newer translation" in listed
    assert "this translation applies as well as the English" in listed


def test_a_new_version_starts_from_the_last_translation_but_offers_none_until_saved(
        app, client, head, version):
    sign_in_as(client, head)
    translate(client, "pl", POLISH)
    with app.app_context():
        newer = make_policy(key_points=KEY_POINTS)
        assert PolicyTranslation.offered(newer, "pl") is None
    page = client.get("/admin/policy/translations/pl").get_data(as_text=True)
    assert f"This starts from the translation of Version {version.number}" in page
    assert "Tekst polityki po polsku." in page  # in the text box, to change what changed


def test_a_withdrawn_translation_is_no_longer_offered(app, client, head, version):
    sign_in_as(client, head)
    translate(client, "pl", POLISH)
    with app.app_context():
        saved = PolicyTranslation.get()
    data = form_page(client, "/admin/policy/translations")
    response = client.post(f"/admin/policy/translations/{saved.id}/withdraw",
                           data={"csrf_token": data["csrf_token"]})
    assert response.status_code == 303
    with app.app_context():
        assert PolicyTranslation.offered(version, "pl") is None
        assert PolicyTranslation.get_by_id(saved.id).withdrawn_at is not None
        assert AuditEvent.select().where(
            AuditEvent.action == "policy.translation_withdrawn").count() == 1
    # Withdrawing twice does nothing more.
    client.post(f"/admin/policy/translations/{saved.id}/withdraw", data={"csrf_token": data["csrf_token"]})
    with app.app_context():
        assert AuditEvent.select().where(
            AuditEvent.action == "policy.translation_withdrawn").count() == 1


@pytest.mark.parametrize("change, field, message", [
    ({"title": ""}, "title", "Please give the translated title."),
    ({"body": "  "}, "body", "Please paste or write the translated text."),
    ({"key_points": "Jeden.\nDwa."}, "key_points", "The English has 3 key points"),
    ({"key_points": "Jeden.\nDwa.\n" + "x" * 201}, "key_points", "Please keep each key point under 200"),
    ({"title": "Tytuł\x07"}, "title", None),
])
def test_a_bad_translation_is_refused_beside_the_field_and_nothing_is_saved(
        app, client, head, version, change, field, message):
    sign_in_as(client, head)
    with nothing_written(app):
        response = translate(client, "pl", {**POLISH, **change})
    assert response.status_code == 422
    error = field_error(response.get_data(as_text=True), field)
    assert error is not None and (message is None or message in error)


def test_a_language_the_app_does_not_speak_is_not_found(app, client, head, version):
    sign_in_as(client, head)
    assert client.get("/admin/policy/translations/en").status_code == 404
    assert client.get("/admin/policy/translations/fr").status_code == 404
    assert client.post("/admin/policy/translations/999/withdraw",
                       data={"csrf_token": form_page(client, "/admin/policy/translations")["csrf_token"]}
                       ).status_code == 404


def test_the_urdu_form_fields_are_right_to_left(app, client, head, version):
    sign_in_as(client, head)
    page = client.get("/admin/policy/translations/ur").get_data(as_text=True)
    assert re.search(r'<textarea[^>]* dir="rtl"[^>]* id="body"[^>]* lang="ur"', page)
    polish = client.get("/admin/policy/translations/pl").get_data(as_text=True)
    assert re.search(r'<textarea[^>]* dir="ltr"[^>]* id="body"[^>]* lang="pl"', polish)


def test_no_policy_yet_means_nothing_to_translate(app, client, head):
    with app.app_context():
        PolicyVersion.delete().execute()  # the seeded one
    sign_in_as(client, head)
    assert client.get("/admin/policy/translations").status_code == 404
    assert client.get("/admin/policy/translations/pl").status_code == 404


def _accept(client, url: str, **extra) -> uuid.UUID:
    data = form_page(client, url)
    data.update(full_name="Paulina Nowak", role="parent", accept="y", **extra)
    response = client.post("/accept", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return uuid.UUID(data["client_uuid"])


@pytest.fixture
def polish(app, version):
    with app.app_context():
        return policy_translations.save(version, "pl", english_applies=True, by="The Head", **POLISH)


def test_a_version_with_a_translation_is_shown_in_it_and_the_acceptance_records_it(
        app, client, polish):
    page = client.get("/policy?channel=kiosk&lang=pl").get_data(as_text=True)
    assert POLISH["title"] in page and "Tekst polityki po polsku." in page
    assert "Żadnych zdjęć uczniów." in page  # the key points, translated
    assert "Telefony z dala od dzieci." in page
    assert "The English version is the one that applies." in _english_of(page, "pl")
    assert 'href="/policy?channel=kiosk&amp;lang=en"' in page  # "Read it in English"
    accepted = _accept(client, "/accept?channel=kiosk&lang=pl")
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == accepted)
        assert (row.language, row.translation_id) == ("pl", polish.id)
    # In English the same version is the English text, and its acceptance says so.
    english = client.get("/policy?channel=kiosk").get_data(as_text=True)
    assert POLISH["title"] not in english and "translation-note" not in english
    accepted = _accept(client, "/accept?channel=kiosk")
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == accepted)
        assert (row.language, row.translation_id) == ("en", None)


def test_a_version_without_a_translation_is_shown_in_english_with_a_note(app, client, version):
    page = client.get("/policy?channel=phone", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Version 2 of the text." in page  # the English body
    assert "Tekst polityki po polsku." not in page
    assert "has not been translated into this language yet" in _english_of(page, "pl")
    accepted = _accept(client, "/accept?channel=phone&lang=pl")
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == accepted)
        assert (row.language, row.translation_id) == ("en", None)


def test_a_translation_the_head_said_applies_too_is_not_marked_english_applies(app, client, version):
    with app.app_context():
        policy_translations.save(version, "ur", english_applies=False, by="The Head", **URDU)
    page = client.get("/policy?channel=kiosk&lang=ur").get_data(as_text=True)
    english = _english_of(page, "ur")
    assert "The English version is the one that applies." not in english
    assert "This is a translation provided by the school." in english
    assert URDU["title"] in page and 'dir="rtl"' in page


def test_the_personal_link_shows_the_translation_too(app, client, polish):
    with app.app_context():
        from kiosk.roster import add_person
        person = add_person("Paula Roster", "paula@example.org", "volunteer")
    page = client.get(f"/p/{person.token}?lang=pl").get_data(as_text=True)
    assert POLISH["title"] in page and "Tekst polityki po polsku." in page
    assert f"/accept?token={person.token}&amp;lang=pl" in page


def test_an_acceptance_sent_later_through_the_api_records_the_translation(app, client, polish):
    data = form_page(client, "/accept?channel=kiosk&lang=pl")
    assert data["translation"] == str(polish.id)
    body = {k: v for k, v in data.items() if k != "csrf_token"}
    body.update(full_name="Paulina Nowak", role="parent", accept="y",
                accepted_at="2026-11-27T08:00:00Z")
    response = client.post("/api/v1/acceptances", json=body, headers={
        "X-Kiosk-Client": "outbox", "Idempotency-Key": body["client_uuid"]})
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == uuid.UUID(body["client_uuid"]))
        assert (row.language, row.translation_id) == ("pl", polish.id)


def test_a_translation_replaced_or_withdrawn_after_it_was_shown_is_still_what_they_accepted(
        app, client, polish, version):
    data = form_page(client, "/accept?channel=kiosk&lang=pl")
    with app.app_context():
        policy_translations.withdraw(polish)
    data.update(full_name="Paulina Nowak", role="parent", accept="y")
    assert client.post("/accept?lang=pl", data=data).status_code == 303
    with app.app_context():
        row = Acceptance.get(Acceptance.client_uuid == uuid.UUID(data["client_uuid"]))
        assert row.translation_id == polish.id


@pytest.mark.parametrize("bad", ["999999", "abc", "1" * 12, "-1", "²", "１"])
def test_a_translation_that_is_not_one_of_the_versions_is_refused_and_nothing_recorded(
        app, client, polish, bad):
    data = form_page(client, "/accept?channel=kiosk&lang=pl")
    data.update(full_name="Paulina Nowak", role="parent", accept="y", translation=bad)
    with nothing_written(app):
        response = client.post("/accept", data=data)
    assert response.status_code == 422


def test_a_translation_of_another_version_is_refused(app, client, polish):
    with app.app_context():
        newer = make_policy(key_points=KEY_POINTS)
    data = form_page(client, "/accept?channel=kiosk")
    assert data["policy_version"] == str(newer.number) and not data.get("translation")
    data.update(full_name="Paulina Nowak", role="parent", accept="y", translation=str(polish.id))
    with nothing_written(app):
        assert client.post("/accept", data=data).status_code == 422


def test_the_policy_page_hands_the_translation_read_to_the_form_even_if_replaced_meanwhile(
        app, client, polish, version):
    page = client.get("/policy?channel=kiosk&lang=pl").get_data(as_text=True)
    link = re.search(r'id="accept" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"translation={polish.id}" in link and "lang=pl" in link
    with app.app_context():
        newer = policy_translations.save(version, "pl", english_applies=True, by="The Head",
                                         **{**POLISH, "title": "Polityka (nowa)"})
    assert form_page(client, link)["translation"] == str(polish.id)  # what they read
    assert form_page(client, "/accept?channel=kiosk&lang=pl")["translation"] == str(newer.id)
    # Not a translation into another language than the page's.
    assert not form_page(client, link.replace("lang=pl", "lang=en")).get("translation")


def test_the_head_is_told_when_a_new_version_was_published_while_translating(
        app, client, head, version):
    sign_in_as(client, head)
    data = form_page(client, "/admin/policy/translations/pl")
    assert data["of_version"] == str(version.number)
    with app.app_context():
        make_policy(key_points=KEY_POINTS)
    data.update(POLISH, english_applies="y")
    with nothing_written(app):
        response = client.post("/admin/policy/translations/pl", data=data)
    assert response.status_code == 422
    assert "A new version of the policy was published since you opened this form" in (
        response.get_data(as_text=True))


def test_the_form_does_not_start_from_a_translation_withdrawn_as_wrong(app, client, head, polish):
    with app.app_context():
        policy_translations.withdraw(polish)
        make_policy(key_points=KEY_POINTS)
    sign_in_as(client, head)
    page = client.get("/admin/policy/translations/pl").get_data(as_text=True)
    assert "Tekst polityki po polsku." not in page and "This starts from" not in page


def _english_of(page: str, language: str) -> str:
    """The page's words put back into English through the catalogue (whatever the translation
    says, the test reads the message it came from)."""
    from babel.support import Translations

    from .test_i18n import TRANSLATIONS

    catalogue = Translations.load(str(TRANSLATIONS), [language])
    back = {v: k for k, v in catalogue._catalog.items() if isinstance(k, str) and v}
    text = page
    for translated, english in sorted(back.items(), key=lambda kv: -len(kv[0])):
        if len(translated) > 20 and translated in text:
            text = text.replace(translated, english)
    return text


def test_the_heads_policy_page_leads_to_the_translations(client, head, version):
    sign_in_as(client, head)
    page = client.get("/admin/policy").get_data(as_text=True)
    assert 'href="/admin/policy/translations"' in page
