"""Every page, as each role, through axe (issue 16, WCAG 2.2 AA): signed out, a member of staff,
the DSL, the head and the chair, each in one browser context on one live server with one world
of records (tests/test_access.py's `make_world`). The pages come from the access matrix, which
names every route the app has (`test_every_route_is_in_the_matrix`): each GET a role may open
(200), with the world's ids in its path. A new page is walked without being added here; a new
GET route that no role opens as a page must be named below, saying why."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from kiosk import create_app
from tests.helpers import PASSWORD
from tests.live import LiveServer
from tests.test_access import MATRIX, make_world

from .conftest import TABLET, enter_code

# The walk's roles and the matrix's column for each: "staff" is the member of staff who logged
# the world's records, so the pages of their own records are walked too.
ROLES = {"signed out": "anonymous", "staff": "reporter", "dsl": "dsl", "head": "head",
         "chair": "chair"}

# GET routes that are not pages: nothing for axe to read.
NOT_PAGES = {
    "static", "public.qr_code", "admin.roster_qr",  # pictures (SVG)
    "public.school_image",  # the school's uploaded logo or picture
    "pwa.service_worker", "pwa.manifest", "pwa.staff_manifest", "pwa.favicon",
    "api.description", "health.healthz", "reports.subject_access_json",  # JSON
    "reports.export_acceptances", "reports.export_breaches", "reports.subject_access_csv",
    "admin.roster_import_template",  # CSV
    "staff.permissions_matching",  # a piece of a page: the breach form fetches it into itself
}
# GET routes that only send the browser on (a redirect for everyone), or are pages only part-way
# through a flow, with axe run on them by the browser test of that flow.
ELSEWHERE = {
    "public.phone": "sends the phone to the policy",
    "auth.staff_start": "sends someone to sign in, or to their home",
    "admin.chair_home": "sends the chair to the concerns list",
    "second_step.code": "the code step: axed below, as the DSL signs in",
    "second_step.setup": "setting up two-step sign-in: test_second_factor.py",
    "auth.setup": "the first accounts, with the set-up link: test_first_minute.py",
    "admin.policy_publish": "the confirmation, with a draft waiting: test_desk.py",
}


CHECKED: set[str] = set()


def _as_any_role(html: str) -> str:
    """The page without what differs from one signed-in person to the next."""
    html = re.sub(r'<span class="signed-in-as">[^<]*</span>', "", html)
    html = re.sub(r' data-staff-(?:id|name)="[^"]*"', "", html)
    return hashlib.sha256(re.sub(r'(?:value|data-report-token)="[A-Za-z0-9._-]{40,}"', "", html)
                          .encode()).hexdigest()


def pages_for(role: str, world: dict) -> list[tuple[str, str]]:
    """(endpoint, path) of each page the role may open, in the matrix's order."""
    column = ROLES[role]
    ids = {key: value for key, value in world.items() if key != "users"}
    return [(endpoint, template.format(**ids)) for endpoint, method, template, expected in MATRIX
            if method == "GET" and expected[column] == 200 and endpoint not in NOT_PAGES]


def test_every_get_route_is_a_page_in_the_walk_or_says_why_not(tmp_path):
    app = create_app({"KIOSK_INSTANCE_PATH": str(tmp_path), "TESTING": True})
    routed = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    walked = {endpoint for role in ROLES for endpoint, _ in pages_for(role, _ids())}
    assert routed - walked - NOT_PAGES - set(ELSEWHERE) == set()
    assert walked & (NOT_PAGES | set(ELSEWHERE)) == set()  # nothing listed that is walked


def _ids() -> dict:
    """Stand-ins for the world's ids, for working out which endpoints are walked."""
    keys = {name for _, _, template, _ in MATRIX for name in _fields(template)}
    return dict.fromkeys(keys, "x")


def _fields(template: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """One server and one world for every role: the walk only reads."""
    server = LiveServer(tmp_path_factory.mktemp("every-page") / "instance", {})
    server.start()
    with server.database():
        world = make_world()
        emails = {role: user.email for role, user in world["users"].items()}
    yield server, world, emails
    server.stop()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_the_role_opens_passes_axe(walk, new_context, assert_accessible, axe, role):
    server, world, emails = walk
    page = new_context(**TABLET).new_page()
    if role != "signed out":
        email = emails[ROLES[role]]
        page.goto(server.url + "/signin")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        if role != "staff":
            expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
            if role == "dsl":
                assert_accessible(page)
            enter_code(page, server, email)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    pages = pages_for(role, world)
    assert len(pages) >= {"signed out": 10, "staff": 15, "dsl": 20, "head": 50, "chair": 10}[role]
    found = []
    for endpoint, path in pages:
        response = page.goto(server.url + path)
        assert response.status == 200, (endpoint, path, response.status)
        # A page exactly as another role was shown it (a form every member of staff opens),
        # but for who is signed in and the form's token, was read by axe already.
        seen = _as_any_role(page.content())
        if seen in CHECKED:
            continue
        CHECKED.add(seen)
        # Every page's violations at once, not only the first page's.
        for violation in axe.run(page).response["violations"]:
            found.extend(f"{path} ({endpoint}): {violation['id']} on "
                         f"{', '.join(map(str, node['target']))}" for node in violation["nodes"])
    assert found == [], "\n".join(found)
