"""The manifest, the service worker script, the icons and the offline shells."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from kiosk.models import BreachCategory

from .helpers import make_policy, make_user, sign_in_as


def fetch_bytes(client, url: str) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200
        return response.data


def sw_script(client) -> str:
    response = client.get("/sw.js")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def version_of(script: str) -> str:
    return re.search(r'const VERSION = "([0-9a-f]+)";', script).group(1)


def precache_of(script: str) -> list[str]:
    return json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))


def test_the_service_worker_is_served_from_the_root_and_never_cached_by_http(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"


def test_its_version_changes_when_the_policy_changes_and_only_then(app, client):
    first = version_of(sw_script(client))
    assert version_of(sw_script(client)) == first
    with app.app_context():
        make_policy(2)
    assert version_of(sw_script(client)) != first


def test_its_version_changes_when_a_shipped_file_changes(app, client, monkeypatch):
    from kiosk import pwa

    first = version_of(sw_script(client))
    monkeypatch.setattr(pwa, "shipped_files_hash", lambda *folders: "a different release")
    assert version_of(sw_script(client)) != first


def test_it_precaches_the_public_shell_and_no_signed_in_page(client):
    precache = precache_of(sw_script(client))
    for url in ["/", "/policy?channel=kiosk", "/accept?channel=kiosk", "/accept?channel=phone",
                "/privacy?channel=kiosk", "/privacy?channel=phone", "/offline", "/staff/offline",
                "/qr.svg"]:
        assert url in precache
    for path in ["/static/css/kiosk.css", "/static/js/outbox.js", "/static/js/offline.js",
                 "/static/js/kiosk.js", "/static/icons/icon-192.png"]:
        assert any(re.fullmatch(re.escape(path) + r"\?v=[0-9a-f]{10}", url) for url in precache)
    staff_pages = [u for u in precache if u.startswith(("/staff", "/admin", "/signin", "/api"))]
    assert staff_pages == ["/staff/offline", "/staff.webmanifest"]


def test_the_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "Westacre Infant School – Policy Kiosk"
    assert manifest["short_name"] == "Policy Kiosk"
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    assert manifest["theme_color"] and manifest["background_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(fetch_bytes(client, icon["src"])))
        assert f"{image.width}x{image.height}" == icon["sizes"]


def test_every_page_links_the_manifest_icons_and_apple_tags(client):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert re.search(r'<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png\?v=\w+">', html)
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
    assert '<meta name="theme-color"' in html
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200 and favicon.mimetype == "image/vnd.microsoft.icon"
    favicon.close()
    icon = Image.open(io.BytesIO(fetch_bytes(client, "/static/icons/apple-touch-icon.png")))
    assert icon.size == (180, 180)


def test_the_staff_shell_is_the_same_for_everyone_and_names_no_one(app, client, teacher):
    anonymous = client.get("/staff/offline").get_data(as_text=True)
    sign_in_as(client, teacher)
    signed_in = client.get("/staff/offline").get_data(as_text=True)
    assert teacher.display_name not in signed_in and teacher.email not in signed_in
    assert "Working offline" in anonymous
    with app.app_context():
        for category in BreachCategory.in_use():
            assert f'value="{category.slug}"' in anonymous


def test_staff_pages_tell_the_outbox_who_is_signed_in_and_public_pages_do_not(app, client):
    with app.app_context():
        teacher = make_user("staff")
    sign_in_as(client, teacher)
    # Offline records are attributed from staff pages only; a public page on the same iPad gives
    # the outbox no one's identity to queue under.
    assert f'data-staff-id="{teacher.id}"' in client.get("/staff/").get_data(as_text=True)
    assert "data-staff-id" not in client.get("/").get_data(as_text=True)


def test_static_files_are_linked_with_their_content_hash(client):
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/css/kiosk.css\?v=[0-9a-f]{10})"', html).group(1)
    assert css in precache_of(sw_script(client))


def test_its_version_changes_when_the_breach_categories_change(app, client):
    first = version_of(sw_script(client))
    with app.app_context():
        BreachCategory.update(active=False).where(BreachCategory.slug == "commercial").execute()
    assert version_of(sw_script(client)) != first


def test_the_offline_staff_screen_asks_for_what_the_online_forms_ask(client, app):
    """Drawn from the same form definitions: every field it sends is one the API's form takes,
    with the same label, and the categories offered are the ones in use."""
    from markupsafe import escape

    from kiosk.forms.records import BreachForm, DeletionRequestForm
    from kiosk.forms.welfare import DisclosureForm
    from kiosk.models import BreachCategory

    html = client.get("/staff/offline").get_data(as_text=True)
    breach_html, rest = html.split('data-outbox="breach"')[1].split('data-outbox="deletion"')
    deletion_html, disclosure_html = rest.split('data-outbox="disclosure"')
    with app.test_request_context():
        for form, part in ((BreachForm(meta={"csrf": False}), breach_html),
                           (DeletionRequestForm(meta={"csrf": False}), deletion_html),
                           (DisclosureForm(meta={"csrf": False}), disclosure_html)):
            names = set(re.findall(r'name="([a-z_]+)"', part))
            assert names and names <= set(form._fields), names - set(form._fields)
            for name in names - {"subject_kind", "category"}:  # online these are the taps before
                assert f">{escape(form[name].label.text)}</" in part, name
        in_use = {c.slug for c in BreachCategory.in_use()}
    assert set(re.findall(r'name="category"[^>]*value="([^"]+)"', breach_html)) == in_use


def test_it_precaches_the_public_pages_in_each_language_as_the_picker_links_to_them(client):
    precache = precache_of(sw_script(client))
    for code in ("pl", "ur"):
        for url in (f"/policy?channel=kiosk&lang={code}", f"/accept?channel=kiosk&lang={code}",
                    f"/privacy?channel=phone&lang={code}", f"/offline?lang={code}"):
            assert url in precache
            page = client.get(url).get_data(as_text=True)
            assert f'lang="{code}"' in re.search(r"<html[^>]*>", page).group(0)
        # The page in a language links onward to exactly what was cached.
        policy = client.get(f"/policy?channel=kiosk&lang={code}").get_data(as_text=True)
        assert f'href="/accept?channel=kiosk&amp;lang={code}"' in policy
    # "English" chosen on a phone set to Polish is English offline too; and the start screen.
    assert "/policy?channel=phone&lang=en" in precache and "/?lang=ur" in precache


def test_its_version_changes_when_a_translation_of_the_policy_is_added_or_withdrawn(app, client):
    from kiosk import policy_translations
    from kiosk.models import PolicyVersion

    first = version_of(sw_script(client))
    with app.app_context():
        added = policy_translations.save(PolicyVersion.current(), "pl", title="Polityka",
                                         body="Tekst.", key_points="", english_applies=True,
                                         by="The Head")
    second = version_of(sw_script(client))
    assert second != first
    with app.app_context():
        policy_translations.withdraw(added)
    assert version_of(sw_script(client)) == first  # offered again as before: the English
