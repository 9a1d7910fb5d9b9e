"""A busy day (a school fair: two thousand acceptances since midnight): the staff forms offer the
newest few of today's visitors as tiles and a search by name for the rest, and "Today's visitors"
is a count, a search and a page at a time."""

from __future__ import annotations

import datetime as dt
import re

from kiosk.models import Acceptance, Breach, DeletionRequest, db, utcnow
from kiosk.todays_visitors import LIST_PAGE, TILES

from .helpers import form_page, make_acceptance, sign_in_as, typed

DETAILS = "/staff/breaches/new?who=visitor&category=photographing"
PAGES = ["/staff/breaches/new", DETAILS, "/staff/deletions/new", "/staff/visitors"]


def fill_the_day(database, count: int, **named) -> dict[str, Acceptance]:
    """`count` visitors today, a second apart, the newest a minute ago; each of `named` (a name:
    how many seconds before the newest) among them. Returns the named ones. `database`: the
    context to write in (an app's `app_context()`, a live server's `database()`)."""
    newest = utcnow() - dt.timedelta(minutes=1)
    with database, db.atomic():
        for i in range(count - len(named)):
            make_acceptance(full_name=f"Fair Visitor {i:04d}", accepted_at=newest - dt.timedelta(seconds=i))
        return {name: make_acceptance(full_name=name, accepted_at=newest - dt.timedelta(seconds=ago))
                for name, ago in named.items()}


def person_tiles(html: str) -> list[str]:
    """The names on the tiles of today's visitors: links on the who step, radios on a form."""
    links = re.findall(r'class="big-tile big-tile--person"[^>]*>([^<]+) <span', html)
    radios = re.findall(r'name="acceptance" id="acceptance-\d+"[^>]*><label[^>]*><span>([^<]+) <span',
                        html)
    return [name.strip() for name in links + radios]


def test_with_two_thousand_visitors_today_each_page_is_small_and_the_search_finds_one(
        app, client, teacher):
    found = fill_the_day(app.app_context(), 2000, **{"Émile Dubois": 1500})
    sign_in_as(client, teacher)
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200 and len(response.data) < 100_000, (url, len(response.data))
    who = client.get("/staff/breaches/new").get_data(as_text=True)
    assert person_tiles(who) == [f"Fair Visitor {i:04d}" for i in range(TILES)]
    assert "The 12 most recent of the 2,000 people who signed in today." in who
    assert "Émile Dubois" not in who
    searched = client.get("/staff/breaches/new?search=emile").get_data(as_text=True)
    assert person_tiles(searched) == ["Émile Dubois"]
    assert f'href="/staff/breaches/new?acceptance={found["Émile Dubois"].client_uuid}"' in searched
    assert "1 person who signed in today matches “emile”." in searched
    assert 'id="visitors-found"' in searched and 'value="emile"' in searched


def test_a_quiet_day_shows_everyone_and_no_search(app, client, teacher):
    fill_the_day(app.app_context(), TILES)
    sign_in_as(client, teacher)
    for url in PAGES[:3]:
        html = client.get(url).get_data(as_text=True)
        assert len(person_tiles(html)) == TILES, url
        assert 'id="search"' not in html and "Search today&#39;s visitors" not in html, url
        assert "most recent" not in html, url


def test_one_more_than_the_tiles_brings_the_search(app, client, teacher):
    fill_the_day(app.app_context(), TILES + 1)
    sign_in_as(client, teacher)
    for url in PAGES:
        html = client.get(url).get_data(as_text=True)
        assert "<label for=\"search\">Search today's visitors by name</label>" in html, url
    assert len(person_tiles(client.get(DETAILS).get_data(as_text=True))) == TILES


def test_the_search_finds_a_part_of_the_name_in_any_case_and_only_todays(app, client, teacher):
    named = fill_the_day(app.app_context(), 20, **{"Priya Shah": 15, "Ravi Shahid": 16})
    with app.app_context():
        make_acceptance(full_name="Yesterday Shah", accepted_at=utcnow() - dt.timedelta(days=1))
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?search=SHAH").get_data(as_text=True)
    assert person_tiles(html) == ["Priya Shah", "Ravi Shahid"]
    assert "2 people who signed in today match “SHAH”." in html
    assert "Yesterday Shah" not in html
    assert str(named["Priya Shah"].client_uuid) in html


def test_a_search_with_like_wildcards_finds_only_what_was_typed(app, client, teacher):
    fill_the_day(app.app_context(), 20, **{"Ann 50% Off": 19})
    sign_in_as(client, teacher)
    assert person_tiles(client.get("/staff/breaches/new?search=%25").get_data(as_text=True)) == [
        "Ann 50% Off"]
    html = client.get("/staff/breaches/new?search=_").get_data(as_text=True)
    assert person_tiles(html) == []
    assert "No one who signed in today has “_” in their name." in html


def test_a_search_matching_more_than_the_tiles_says_so(app, client, teacher):
    fill_the_day(app.app_context(), 40)
    sign_in_as(client, teacher)
    html = client.get("/staff/breaches/new?search=fair").get_data(as_text=True)
    assert len(person_tiles(html)) == TILES
    assert ("40 people who signed in today match “fair”: the 12 most recent are shown. "
            "Type more of the name to find someone else.") in html


def test_the_details_step_searches_without_losing_who_and_what(app, client, teacher):
    named = fill_the_day(app.app_context(), 30, **{"Olwen Price": 25})
    sign_in_as(client, teacher)
    html = client.get(DETAILS).get_data(as_text=True)
    assert "Olwen Price" not in html
    # The search is a GET form of its own (forms cannot nest), its box and button in the tiles'
    # group: it carries who and what, and nothing typed on the breach's form.
    search_form = re.search(r'<form method="get" action="/staff/breaches/new#visitors-found" '
                            r'id="visitor-search"[^>]*>(.*?)</form>', html, re.S).group(1)
    assert re.findall(r'name="(\w+)" value="(\w+)"', search_form) == [
        ("who", "visitor"), ("category", "photographing")]
    assert 'name="search"' in html and 'form="visitor-search"' in html
    found = client.get(DETAILS + "&search=olwen").get_data(as_text=True)
    assert "step 3 of 3" in found and "Photographing or recording pupils" in found
    assert person_tiles(found) == ["Olwen Price"]
    assert f'value="{named["Olwen Price"].client_uuid}"' in found


def test_a_person_found_by_search_stays_chosen_when_the_details_come_back_with_an_error(
        app, client, teacher):
    named = fill_the_day(app.app_context(), 30, **{"Olwen Price": 25})
    olwen = str(named["Olwen Price"].client_uuid)
    sign_in_as(client, teacher)
    fields = {**form_page(client, DETAILS + "&search=olwen"), "acceptance": olwen,
              "occurred_at": typed(utcnow() + dt.timedelta(days=1))}
    response = client.post("/staff/breaches", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "That time is in the future." in html
    # Sent back, the breach is about the person chosen, as when they were chosen on step 1.
    assert "About: <strong>Olwen Price</strong>" in html
    assert f'name="acceptance" type="hidden" value="{olwen}"' in html
    fields["occurred_at"] = typed(utcnow())
    assert client.post("/staff/breaches", data=fields).status_code == 303
    with app.app_context():
        assert Breach.get().acceptance_id == named["Olwen Price"].id


def test_the_deletion_form_searches_and_keeps_the_person_chosen(app, client, teacher):
    named = fill_the_day(app.app_context(), 30, **{"Olwen Price": 25})
    olwen = str(named["Olwen Price"].client_uuid)
    sign_in_as(client, teacher)
    assert "Olwen Price" not in client.get("/staff/deletions/new").get_data(as_text=True)
    found = client.get("/staff/deletions/new?search=price").get_data(as_text=True)
    assert person_tiles(found) == ["Olwen Price"]
    fields = {**form_page(client, "/staff/deletions/new?search=price"), "acceptance": olwen,
              "person_name": ""}  # no material chosen: sent back with the reason
    response = client.post("/staff/deletions/new", data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please choose what material." in html
    assert re.search(rf'value="{olwen}" checked', html)
    client.post("/staff/deletions/new", data={**fields, "material": "photo",
                                              "material_location": "device"})
    with app.app_context():
        request_row = DeletionRequest.get()
        assert (request_row.acceptance_id, request_row.person_name) == (named["Olwen Price"].id,
                                                                        "Olwen Price")


def test_todays_visitors_says_how_many_and_pages_back_through_all_of_them(app, client, teacher):
    # Two at one moment, the 50th and 51st: the page break between them must not drop one. (A
    # moment seconds before the rest, not hours: hours before a run after midnight are yesterday.)
    fill_the_day(app.app_context(), LIST_PAGE + 12, **{"Twin One": 48.5, "Twin Two": 48.5})
    sign_in_as(client, teacher)
    html = client.get("/staff/visitors").get_data(as_text=True)
    assert "62 people have signed in today." in html and "The 50 most recent" in html
    seen = re.findall(r"<tr><td>([^<]+)</td>", html)
    assert len(seen) == LIST_PAGE and seen[0] == "Fair Visitor 0000"
    while (more := re.search(r'href="(/staff/visitors\?before=[^"#]+)#visitors-found">Show earlier',
                             html)):
        html = client.get(more.group(1)).get_data(as_text=True)
        assert "Earlier today" in html and "Back to the most recent" in html
        seen += re.findall(r"<tr><td>([^<]+)</td>", html)
    assert len(seen) == len(set(seen)) == 62
    assert seen[LIST_PAGE - 1:LIST_PAGE + 1] == ["Twin Two", "Twin One"]


def test_todays_visitors_search_and_a_count_of_one(app, client, teacher):
    fill_the_day(app.app_context(), 1, **{"Émile Dubois": 0})
    sign_in_as(client, teacher)
    html = client.get("/staff/visitors").get_data(as_text=True)
    assert "1 person has signed in today." in html and "Most recent first" in html
    assert "Show earlier visitors" not in html
    html = client.get("/staff/visitors?search=EMILE").get_data(as_text=True)
    assert "1 person who signed in today matches “EMILE”" in html
    assert re.findall(r"<tr><td>([^<]+)</td>", html) == ["Émile Dubois"]
    html = client.get("/staff/visitors?search=nobody").get_data(as_text=True)
    assert "No one who signed in today has “nobody” in their name" in html
    assert "<table" not in html


def test_an_unknown_page_start_is_the_most_recent_page(app, client, teacher):
    fill_the_day(app.app_context(), 3)
    sign_in_as(client, teacher)
    response = client.get("/staff/visitors?before=not-a-uuid")
    assert response.status_code == 200
    assert len(re.findall(r"<tr><td>", response.get_data(as_text=True))) == 3
