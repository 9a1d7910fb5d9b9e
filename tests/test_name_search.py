"""Every name search finds the same people on SQLite and PostgreSQL (issue 13, finding 1).

Searches compared SQL's LOWER() with Python's str.lower(): SQLite lowers ASCII letters only, so
Émile, Łukasz, Özge and Øyvind were not found even typed exactly, and subject access would have
told them nothing was held. Each name now has a search key (kiosk.text.search_key) stored beside
it and worked out in Python, whichever database holds it."""

from __future__ import annotations

import json
import uuid

import pytest
from peewee import Table

from kiosk import create_app
from kiosk.migrate import migrate_database, router
from kiosk.models import (
    Acceptance,
    AuditEvent,
    Breach,
    DeletionRequest,
    RosterPerson,
    StaffUser,
    db,
    open_database,
    utcnow,
)
from kiosk.policies import seed_default_policy
from kiosk.text import search_key

from .helpers import make_acceptance, make_breach, make_deletion_request, make_user, sign_in_as

# Each person, and the ways someone might type their name to find them: exactly, in another case,
# and without the accents (or the letters a British keyboard does not have).
PEOPLE = {
    "Émile Durand": ["Émile Durand", "ÉMILE DURAND", "émile durand", "Emile Durand"],
    "Łukasz Nowak": ["Łukasz Nowak", "ŁUKASZ NOWAK", "łukasz nowak", "Lukasz Nowak"],
    "Özge Yılmaz": ["Özge Yılmaz", "ÖZGE YILMAZ", "özge yılmaz", "Ozge Yilmaz"],
    "Øyvind Berg": ["Øyvind Berg", "ØYVIND BERG", "øyvind berg", "Oyvind Berg"],
    # A capital that lower-cases to two letters: "STRASSE" is how Straße is written in capitals.
    "Anna Straße": ["Anna Straße", "ANNA STRASSE", "anna strasse", "Anna Strasse"],
}
# Other people with names close to theirs: never found by a search for one of the five.
NEAR_MISSES = ["Emily Durand", "Lukas Nowak", "Özgür Yılmaz", "Øystein Berg", "Anna Strass"]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request, tmp_path):
    """The app on a freshly migrated SQLite database, and on a real PostgreSQL one."""
    config = {"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True}
    if request.param == "postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    app = create_app(config)
    with app.app_context():
        migrate_database()
        seed_default_policy()
    yield app
    if not db.is_closed():
        db.close()


def _records(app) -> dict[str, dict[str, object]]:
    """For each person (and each near miss): an acceptance, a breach and a deletion request,
    and a roster entry. The breach's name was typed in capitals, the request's in lower case."""
    with app.app_context():
        teacher = make_user("staff")
        people = {}
        for number, name in enumerate([*PEOPLE, *NEAR_MISSES]):
            people[name] = {
                "acceptance": make_acceptance(full_name=name),
                "breach": make_breach(teacher, subject_name=name.upper()),
                "request": make_deletion_request(teacher, person_name=name.lower()),
                "roster": RosterPerson.create(full_name=name, email=f"p{number}@example.org",
                                              role="volunteer", token=uuid.uuid4().hex),
            }
        return people


def _users(app, *roles: str) -> list[StaffUser]:
    with app.app_context():
        return [make_user(role) for role in roles]


def _shown(app, action: str) -> set[str]:
    """The records the newest event of this kind says were shown."""
    with app.app_context():
        event = AuditEvent.select().where(AuditEvent.action == action).order_by(
            AuditEvent.id.desc()).first()
        return set(json.loads(event.detail)["shown"])


def test_subject_access_finds_each_name_however_it_is_typed(any_app):
    people = _records(any_app)
    [head] = _users(any_app, "head")
    client = any_app.test_client()
    sign_in_as(client, head)
    for name, spellings in PEOPLE.items():
        theirs = people[name]
        for typed in spellings:
            response = client.get("/reports/subject-access.json", query_string={"name": typed})
            assert response.status_code == 200, typed
            document = json.loads(response.get_data(as_text=True))
            found = {kind: {r["reference"] for r in document[kind]}
                     for kind in ("acceptances", "breaches", "deletion_requests", "roster_entries")}
            assert found == {
                "acceptances": {str(theirs["acceptance"].client_uuid)},
                "breaches": {str(theirs["breach"].public_id)},
                "deletion_requests": {str(theirs["request"].public_id)},
                "roster_entries": {str(theirs["roster"].id)},
            }, typed


def test_the_chronology_finds_each_name_however_it_is_typed(any_app):
    people = _records(any_app)
    [dsl] = _users(any_app, "dsl")
    client = any_app.test_client()
    sign_in_as(client, dsl)
    for name, spellings in PEOPLE.items():
        theirs = people[name]
        expected = {str(theirs["acceptance"].client_uuid), str(theirs["breach"].public_id),
                    str(theirs["request"].public_id)}
        for typed in spellings:
            response = client.get("/reports/chronology", query_string={"name": typed})
            assert response.status_code == 200, typed
            assert _shown(any_app, "chronology.viewed") == expected, typed


def test_the_evidence_finds_each_name_however_it_is_typed_in_its_own_spelling(any_app):
    people = _records(any_app)
    [dsl] = _users(any_app, "dsl")
    client = any_app.test_client()
    sign_in_as(client, dsl)
    for name, spellings in PEOPLE.items():
        for typed in spellings:
            html = client.get("/reports/evidence", query_string={"name": typed}).get_data(
                as_text=True)
            assert f"<h1>Evidence of acceptance: {name}</h1>" in html, typed
            assert _shown(any_app, "evidence.viewed") == {
                str(people[name]["acceptance"].client_uuid)}, typed


@pytest.mark.parametrize(("typed", "name"), [
    ("ÉMILE", "Émile Durand"), ("emile", "Émile Durand"), ("LUKASZ", "Łukasz Nowak"),
    ("özge", "Özge Yılmaz"), ("OYVIND", "Øyvind Berg"), ("STRASSE", "Anna Straße")])
def test_part_of_a_name_finds_the_one_person_it_can_be(any_app, typed, name):
    people = _records(any_app)
    [dsl] = _users(any_app, "dsl")
    client = any_app.test_client()
    sign_in_as(client, dsl)
    html = client.get("/reports/evidence", query_string={"name": typed}).get_data(as_text=True)
    assert f"<h1>Evidence of acceptance: {name}</h1>" in html
    assert _shown(any_app, "evidence.viewed") == {str(people[name]["acceptance"].client_uuid)}


def test_a_linked_concern_is_found_by_its_persons_name_however_it_is_typed(any_app):
    """The chronology finds a concern linked to an account or a roster entry by that person's
    own name (low_level.linked_to_name), whatever name was typed when it was logged."""
    with any_app.app_context():
        teacher, head = make_user("staff"), make_user("head")
        colleague = make_user("staff", display_name="Øyvind Berg")
        volunteer = RosterPerson.create(full_name="Łukasz Nowak", email="l@example.org",
                                        role="volunteer", token=uuid.uuid4().hex)
        about_colleague = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                      subject_name="the new teacher")
        about_volunteer = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                      subject_name="a volunteer")
        Breach.update(subject_staff=colleague).where(Breach.id == about_colleague.id).execute()
        Breach.update(subject_person=volunteer).where(Breach.id == about_volunteer.id).execute()
    client = any_app.test_client()
    sign_in_as(client, head)
    for typed, breach in [("ØYVIND BERG", about_colleague), ("oyvind berg", about_colleague),
                          ("ŁUKASZ NOWAK", about_volunteer), ("Lukasz Nowak", about_volunteer)]:
        client.get("/reports/chronology", query_string={"name": typed})
        assert _shown(any_app, "chronology.viewed") == {str(breach.public_id)}, typed


def test_a_renamed_roster_entry_is_found_by_its_new_name(any_app):
    """The roster's re-import renames people with update(), which keeps the search key too."""
    from kiosk import roster

    [head] = _users(any_app, "head")
    with any_app.app_context():
        roster.apply_import(roster.parse_import("name,email,role\nOzge Yilmaz,o@example.org,volunteer\n"))
        roster.apply_import(roster.parse_import("name,email,role\nÖzge Yılmaz,o@example.org,volunteer\n"))
        person = RosterPerson.get(RosterPerson.email == "o@example.org")
        assert (person.full_name, person.name_key) == ("Özge Yılmaz", "ozge yilmaz")
    client = any_app.test_client()
    sign_in_as(client, head)
    document = json.loads(client.get("/reports/subject-access.json",
                                     query_string={"name": "ÖZGE YILMAZ"}).get_data(as_text=True))
    assert [r["full_name"] for r in document["roster_entries"]] == ["Özge Yılmaz"]


def test_the_low_level_pattern_counts_one_person_however_their_name_was_typed(any_app):
    """Concerns not linked to anyone are grouped by the name's search key, as every search
    finds them: "Anna Straße" and "ANNA STRASSE" are one person reaching the threshold, and
    the person's page opens by that key."""
    with any_app.app_context():
        teacher, dsl = make_user("staff"), make_user("dsl")
        for typed in ("Anna Straße", "ANNA STRASSE", "anna strasse", "Anna Strass"):
            breach = make_breach(teacher, subject_kind="staff", category="pupil_contact",
                                 subject_name=typed)
            Breach.update(classification="low_level").where(Breach.id == breach.id).execute()
    client = any_app.test_client()
    sign_in_as(client, dsl)
    html = client.get("/records/low-level-concerns").get_data(as_text=True)
    assert "who=name-anna+strasse" in html and "who=name-anna+strass\"" in html
    one = client.get("/records/low-level-concerns/person",
                     query_string={"who": "name-anna strasse"}).get_data(as_text=True)
    assert "3 low-level concerns in the last 12 months" in one and "Anna Strass<" not in one


# The key itself, and that no way of writing a name leaves it without one -------------------------

def test_the_search_key_folds_case_accents_and_keyboards_but_keeps_names_apart():
    for name, spellings in PEOPLE.items():
        assert {search_key(typed) for typed in spellings} == {search_key(name)}
    assert search_key("  Émile\t DURAND ") == "emile durand"
    assert search_key("O\u2019Brien") == search_key("O'Brien")  # the iPad's curly apostrophe
    assert search_key("Anne\u2013Marie") == search_key("Anne-Marie")
    assert search_key("Άννα") == search_key("ΑΝΝΑ") == "αννα"  # Greek accents go too
    keys = [search_key(name) for name in [*PEOPLE, *NEAR_MISSES]]
    assert len(set(keys)) == len(keys)
    # Marks that are letters of their own stay: Devanagari vowel signs, the Cyrillic й.
    assert search_key("सीता") != search_key("सता")
    assert search_key("Андрей") != search_key("Андреи")
    assert search_key(None) == search_key("") == ""
    assert search_key("\u0301\u0301 e\u0301") == "\u0301\u0301 e"  # a mark on no letter stays


def test_accents_typed_on_their_own_are_searched_for_not_a_server_error(app, client, dsl, head):
    for user, url in ((dsl, "/reports/evidence"), (dsl, "/reports/chronology"),
                      (head, "/reports/subject-access")):
        sign_in_as(client, user)
        assert client.get(url, query_string={"name": "\u0301\u0301"}).status_code == 200, url


def test_every_way_of_writing_a_name_writes_its_key(app, ctx):
    person = RosterPerson.create(full_name="Émile Durand", email="e@example.org", role="volunteer",
                                 token="t1")
    assert person.name_key == "emile durand"
    RosterPerson.update(full_name="ÖZGE YILMAZ").where(RosterPerson.id == person.id).execute()
    assert RosterPerson.get_by_id(person.id).name_key == "ozge yilmaz"
    RosterPerson.update({RosterPerson.full_name: "Łukasz"}).where(
        RosterPerson.id == person.id).execute()
    assert RosterPerson.get_by_id(person.id).name_key == "lukasz"
    person = RosterPerson.get_by_id(person.id)
    person.full_name = "Øyvind"
    person.save()
    assert RosterPerson.get_by_id(person.id).name_key == "oyvind"
    RosterPerson.insert(full_name="Anna Straße", email="a@example.org", role="volunteer",
                        token="t2").execute()
    assert RosterPerson.get(RosterPerson.email == "a@example.org").name_key == "anna strasse"
    # Saving other fields only leaves the key as it was; one without a key is refused.
    user = make_user("staff", display_name="Émile")
    user.password_hash = "changed"
    user.save(only=[StaffUser.password_hash])
    assert StaffUser.get_by_id(user.id).name_key == "emile"
    with pytest.raises(NotImplementedError):
        RosterPerson.insert_many([{"full_name": "No Key", "email": "n@example.org",
                                   "role": "volunteer", "token": "t3"}])
    with pytest.raises(TypeError):
        RosterPerson.update(full_name=RosterPerson.email)
    with pytest.raises(TypeError):  # nor saved or created without a name as text
        RosterPerson.create(full_name=None, email="z@example.org", role="volunteer", token="t4")
    assert not RosterPerson.select().where(RosterPerson.email == "z@example.org").exists()


# Migration 009 gives the rows already there their keys ------------------------------------------

@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_names_stored_before_the_keys_existed_are_found(database, tmp_path, request):
    url = (request.getfixturevalue("postgres_url") if database == "postgresql"
           else f"sqlite:///{tmp_path / 'old.sqlite3'}")
    db.initialize(open_database(url))
    try:
        router().run("008_staff_concerns_welfare")
        now = utcnow()
        # Written as the code before 009 wrote them: no name_key column yet, so not via models.
        Table("policy_version", ("id", "number", "title", "school", "body", "content_hash",
                                 "key_points", "minor_change", "published_at")).bind(db.obj).insert(
            number=1, title="T", school="S", body="B", content_hash="h", key_points="",
            minor_change=False, published_at=now).execute()
        Table("staff_user", ("id", "email", "display_name", "role", "password_hash",
                             "must_change_password", "active", "session_version",
                             "created_at")).bind(db.obj).insert(
            email="o@example.org", display_name="Øyvind Berg", role="staff", password_hash="x",
            must_change_password=False, active=True, session_version=1, created_at=now).execute()
        Table("roster_person", ("id", "full_name", "email", "role", "token", "active",
                                "created_at")).bind(db.obj).insert(
            full_name="Łukasz Nowak", email="l@example.org", role="volunteer", token="t",
            active=True, created_at=now).execute()
        Table("acceptance", ("id", "client_uuid", "request_hash", "policy_version_id", "full_name",
                             "role", "organisation", "reason", "channel", "language",
                             "accepted_at", "received_at")).bind(db.obj).insert(
            client_uuid=str(uuid.uuid4()), request_hash="", policy_version_id=1,
            full_name="Émile Durand", role="visitor", organisation="", reason="", channel="kiosk",
            language="en", accepted_at=now, received_at=now).execute()
        category_id = db.obj.execute_sql("SELECT MIN(id) FROM breach_category").fetchone()[0]
        breach_id = Table("breach", (
            "id", "public_id", "client_uuid", "request_hash", "reporter_id", "occurred_at",
            "location", "subject_kind", "subject_name", "category_id", "description", "actions",
            "safeguarding", "restricted", "concerns_head", "classification", "allegation_outcome",
            "status", "created_at")).bind(db.obj).insert(
            public_id=str(uuid.uuid4()), client_uuid=str(uuid.uuid4()), request_hash="",
            reporter_id=1, occurred_at=now, location="", subject_kind="visitor",
            subject_name="ANNA STRASSE", category_id=category_id, description="",
            actions="", safeguarding=False, restricted=False, concerns_head=False,
            classification="", allegation_outcome="", status="open", created_at=now).execute()
        Table("deletion_request", (
            "id", "public_id", "client_uuid", "request_hash", "breach_id", "material",
            "material_location", "link", "person_name", "asked_at", "asked_by_id", "due_by",
            "outcome", "outcome_note", "created_at")).bind(db.obj).insert(
            public_id=str(uuid.uuid4()), client_uuid=str(uuid.uuid4()), request_hash="",
            breach_id=breach_id, material="photo", material_location="device", link="",
            person_name="özge yılmaz", asked_at=now, asked_by_id=1, due_by=now,
            outcome="pending", outcome_note="", created_at=now).execute()

        assert migrate_database()[0] == "009_name_search_keys"  # and any after it
        assert Acceptance.get().name_key == "emile durand"
        assert RosterPerson.get().name_key == "lukasz nowak"
        assert StaffUser.get().name_key == "oyvind berg"
        assert Breach.get().name_key == "anna strasse"
        assert DeletionRequest.get().name_key == "ozge yilmaz"
        assert Acceptance.select().where(Acceptance.named("EMILE DURAND")).count() == 1
        assert Breach.select().where(Breach.named("Anna Straße")).count() == 1
    finally:
        db.close()

