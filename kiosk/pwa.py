"""What makes the app installable and work offline: the manifest, the service worker, the shells.

The service worker's cache is named after a version that changes whenever any shipped file
(static assets, templates) or the current policy changes, so a device picks up a new policy or a
new release by itself, and only then.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import gettext as _

from . import i18n, policy_translations, retention, school
from .forms.records import DeletionRequestForm, OfflineBreachForm
from .forms.welfare import DisclosureForm
from .models import BreachCategory, PolicyVersion
from .templating import asset, serves

bp = Blueprint("pwa", __name__)
serves(bp, "public")

# The public pages a kiosk or phone needs offline. Signed-in pages are never cached; the staff
# get the empty shell below instead.
PUBLIC_PAGES = ("/", "/policy?channel=kiosk", "/policy?channel=phone", "/accept?channel=kiosk",
                "/accept?channel=phone", "/privacy?channel=kiosk", "/privacy?channel=phone",
                "/offline", "/staff/offline", "/qr.svg", "/manifest.webmanifest",
                "/staff.webmanifest")
# The same pages in each language, as the picker links to them ("&lang=" after the channel, as
# url_for adds it): a visitor who chose Polish on the kiosk reads Polish offline too, and
# "English" on a Polish phone is English. Those without a language are in the browser's own
# (the service worker's requests carry it). The start screen in each language but English.
PICKED_LANGUAGES = tuple(i18n.LANGUAGES)
TRANSLATED_PAGES = tuple(
    f"{page}{'&' if '?' in page else '?'}lang={code}" for code in PICKED_LANGUAGES
    for page in ("/policy?channel=kiosk", "/policy?channel=phone", "/accept?channel=kiosk",
                 "/accept?channel=phone", "/privacy?channel=kiosk", "/privacy?channel=phone",
                 "/offline")) + tuple(f"/?lang={code}" for code in PICKED_LANGUAGES
                                      if code != i18n.DEFAULT)


@lru_cache(maxsize=4)
def shipped_files_hash(*folders: str) -> str:
    """A fingerprint of every shipped file; computed once per process."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def static_files() -> list[str]:
    folder = Path(current_app.static_folder)
    return sorted(asset(str(p.relative_to(folder))) for p in folder.rglob("*") if p.is_file())


def cache_version() -> str:
    """Changes when any shipped file, the current policy version, the school's set-up (its name,
    pictures, DSL), the retention periods (in the privacy notice) or the breach categories the
    offline staff screen offers change."""
    policy = PolicyVersion.current()
    policy_part = f"{policy.number}:{policy.content_hash}" if policy else "none"
    categories = "|".join(f"{c.slug}:{c.label}:{c.restricted}" for c in BreachCategory.in_use())
    files = shipped_files_hash(current_app.static_folder, current_app.template_folder)
    kept = retention.all_settings()  # shown in the privacy notice
    translated = ",".join(str(t.id) for t in policy_translations.current_translations(policy).values()
                          ) if policy else ""
    return hashlib.sha256(f"{files}|{policy_part}|{translated}|{categories}|{school.cache_part()}|"
                          f"{kept}".encode()).hexdigest()[:16]


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so its scope is the whole site."""
    pictures = [url for url in map(school.image_url, ("logo", "dsl_photo")) if url]
    body = render_template("sw.js", version=cache_version(),
                           precache=[*PUBLIC_PAGES, *TRANSLATED_PAGES, *pictures, *static_files()],
                           languages=PICKED_LANGUAGES)
    return Response(body, mimetype="text/javascript", headers={
        "Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@bp.get("/manifest.webmanifest")
def manifest():
    """Name, colours and icons, so 'Add to Home Screen' and 'Install' work; the words shown when
    installing are in the request's language."""
    # Translators: the installed app's name; "Policy Kiosk" is the app's own name
    return _manifest(name=_("%(school)s – Policy Kiosk", school=school.school_name()),
                     # Translators: the app's own name, under its icon on a home screen
                     short_name=_("Policy Kiosk"),
                     description=_("Read and accept the school's Social Media and Mobile Phone "
                                   "Policy."), start_url="/")


@bp.get("/staff.webmanifest")
def staff_manifest():
    """The staff pages' manifest: a classroom iPad's home-screen icon opens sign-in (or the staff
    home when still signed in), not the visitors' kiosk."""
    # Translators: the staff pages' app, as installed on a classroom iPad
    return _manifest(name=_("%(school)s – Staff", school=school.school_name()),
                     # Translators: under the staff app's icon on a home screen
                     short_name=_("Staff"),
                     description=_("Log a breach of the policy, or a request to delete material."),
                     start_url=url_for("auth.staff_start"))


def _manifest(*, name: str, short_name: str, description: str, start_url: str) -> Response:
    response = jsonify({
        "id": start_url,
        "name": name,
        "short_name": short_name,
        "description": description,
        "start_url": start_url,
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": "#1d4f91",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192",
             "type": "image/png", "purpose": "any"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
            {"src": url_for("static", filename="icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(Path(current_app.static_folder) / "icons", "favicon.ico",
                               mimetype="image/vnd.microsoft.icon")


@bp.get("/offline")
def offline():
    """Shown when a page is not available without a connection."""
    return render_template("offline.html")


@bp.get("/staff/offline")
def staff_shell():
    """The staff screens without a connection: an empty shell, the same for everyone (no one's
    data; the member of staff is known from this device's outbox). Never signed in."""
    # The same form definitions as online, so the two screens cannot drift apart.
    return render_template("staff/offline.html", audience="staff",
                           breach=OfflineBreachForm(formdata=None, meta={"csrf": False}),
                           deletion=DeletionRequestForm(formdata=None, meta={"csrf": False}),
                           disclosure=DisclosureForm(formdata=None, meta={"csrf": False}))
