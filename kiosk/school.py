"""The school's own details, set by the head on the first day: its name and logo, the DSL's name
and photo, the address phones use, the thank-you's next step, the privacy contact."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import ipaddress
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, request, url_for
from flask_babel import gettext as _
from peewee import DatabaseError
from PIL import Image, ImageOps, UnidentifiedImageError

from . import audit
from .models import (
    FixedQuery,
    PolicyVersion,
    SchoolImage,
    SchoolSettings,
    db,
    serialize,
    utcnow,
)

# Stored as the head leaves it on the set-up screen: in English, and shown to visitors in their
# own language while it is unchanged (thanks_next_step).
DEFAULT_NEXT_STEP = "Please show this screen at the office."
_SETUP_LOCK = 730_507

# Pictures: what the head may upload, and what is kept (resized, no metadata).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_PIXELS = 40_000_000  # a 5 MB file can still unpack to gigabytes: refuse before that
IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
LARGEST_SIDE = {"logo": 600, "dsl_photo": 480}


def settings() -> SchoolSettings:
    """The one settings row (unsaved and empty before the head first saves it); once a request."""
    if "school_settings" not in g:
        try:
            g.school_settings = _the_row() or SchoolSettings()
        except DatabaseError:
            # Error pages must still render when the database is what failed.
            g.school_settings = SchoolSettings()
    return g.school_settings


def _the_row() -> SchoolSettings | None:
    return _FIRST_ROW.first()


# Read by every page (its SQL built once: models.FixedQuery).
_FIRST_ROW = FixedQuery(lambda: SchoolSettings.select().order_by(SchoolSettings.id).limit(1))


def school_name() -> str:
    """The name on every page: the head's, else the setting's, else the current policy's."""
    if "school_name" not in g:
        g.school_name = (settings().school_name or current_app.config.get("KIOSK_SCHOOL_NAME")
                         or _school_from_policy())
    return g.school_name


def _school_from_policy() -> str:
    try:
        version = PolicyVersion.current()
    except DatabaseError:
        return "Policy Kiosk"
    return version.school if version else "Policy Kiosk"


def thanks_next_step() -> str:
    """What visitors do next, after they accept: the school's words, or ours in their language."""
    step = settings().thanks_next_step
    if step and step != DEFAULT_NEXT_STEP:
        return step
    return _("Please show this screen at the office.")


def configured_public_url() -> str | None:
    """The kiosk's address as the school set it, without a trailing slash: the head's (set-up
    screen), else the server's KIOSK_PUBLIC_URL; None when neither is set (development only:
    production refuses to start without KIOSK_PUBLIC_URL). Never taken from a request, whose Host
    anyone can write: emails use only this."""
    return settings().public_url or current_app.config["KIOSK_PUBLIC_URL"] or None


def public_url() -> str:
    """Where phones reach the kiosk (printed in QR codes and personal links), without a trailing
    slash: the configured address; only when there is none (development) the address this page
    was asked for."""
    return configured_public_url() or request.host_url.rstrip("/")


def phone_start_url() -> str:
    # Never in the language of the page that shows the QR code: each phone gets its own.
    return public_url() + url_for("public.phone", lang=None)


def public_url_problem() -> str | None:
    """Why phones may not reach the address in the QR code, in a sentence; None when it looks
    right. Only a local address is certainly wrong; an unset one is a guess worth checking."""
    address = public_url()
    host = urlsplit(address).hostname or ""
    if host == "localhost" or host.endswith(".localhost") or _is_loopback(host):
        return _("The QR code points at %(address)s, which only works on the server itself: "
                 "phones cannot open it. Set the kiosk's public address on the set-up screen.",
                 address=address)
    if not configured_public_url():
        return _("No public address is set, so the QR code uses %(address)s, the address this "
                 "page was opened on. Check that a phone on the school's Wi-Fi or mobile data can "
                 "open it, or set the public address on the set-up screen.", address=address)
    return None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


# Pictures -------------------------------------------------------------------------------------

class ImageProblem(ValueError):
    """An upload that is not a picture we can use; the message says why, for the person."""


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_type: str


def process_image(raw: bytes, kind: str) -> ProcessedImage:
    """Check an upload is a picture, turn it the right way up, shrink it, and save it afresh so
    nothing of the original's metadata (camera, place, date) is kept."""
    if len(raw) > MAX_UPLOAD_BYTES:
        raise ImageProblem(_("That picture is too large: please choose one under 5 MB."))
    if not raw:
        raise ImageProblem(_("That file is empty: please choose a picture."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as opened:
                if opened.format not in IMAGE_FORMATS:
                    raise ImageProblem(_("Please choose a picture: a JPEG, PNG, GIF or WebP "
                                         "file."))
                if opened.width * opened.height > MAX_UPLOAD_PIXELS:
                    raise ImageProblem(_("That picture is too large: please choose a smaller "
                                         "one."))
                opened.seek(0)  # the first frame of an animation
                side = LARGEST_SIDE[kind]
                # Shrink first (a JPEG decodes at a fraction of its size), then turn it the
                # right way up: a 40-megapixel photo is never held in memory at full size twice.
                opened.draft("RGB", (side * 2, side * 2))
                opened.thumbnail((side, side))
                picture = ImageOps.exif_transpose(opened)
                picture.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageProblem(_("That picture is too large: please choose a smaller one.")) from None
    except ImageProblem:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        # Not a picture, or a broken one: Pillow says which in many ways.
        raise ImageProblem(_("Please choose a picture: a JPEG, PNG, GIF or WebP file.")) from None
    out = io.BytesIO()
    # Logos often have a transparent background: keep it.
    clean = picture.convert("RGBA" if kind == "logo" else "RGB")
    clean.info = {}  # no colour profile, text chunks or EXIF carried over
    if kind == "logo":
        clean.save(out, format="PNG", optimize=True)
        return ProcessedImage(out.getvalue(), "image/png")
    clean.save(out, format="JPEG", quality=85)
    return ProcessedImage(out.getvalue(), "image/jpeg")


def image(kind: str) -> SchoolImage | None:
    return SchoolImage.get_or_none(SchoolImage.kind == kind)


def image_url(kind: str) -> str | None:
    """The picture's address, changing with its content; None when there is none."""
    digest = getattr(settings(), f"{kind}_digest")
    return url_for("public.school_image", kind=kind, v=digest[:16]) if digest else None


# Saving ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SetupDetails:
    school_name: str
    dsl_name: str
    public_url: str
    thanks_next_step: str
    privacy_contact: str
    review_due: dt.date | None
    logo: ProcessedImage | None = None  # a new picture
    dsl_photo: ProcessedImage | None = None
    remove_logo: bool = False
    remove_dsl_photo: bool = False


def save_one(field: str, value: object, action: str, **detail: object) -> bool:
    """One of the head's settings kept on its own (a number on the page it is about: how long a
    permission request may wait, when a kiosk device counts as quiet), audited as `action`;
    False, writing nothing, when it already had that value."""
    with db.atomic():
        row = _the_row() or SchoolSettings()
        if row.id is not None and getattr(row, field) == value:
            return False
        setattr(row, field, value)
        row.updated_at = utcnow()
        row.save()
        audit.record(action, kind="school_settings", **detail)
    g.pop("school_settings", None)  # read afresh by the rest of this request
    return True


def save_setup(details: SetupDetails) -> SchoolSettings:
    """Keep the school's details and pictures, and the current policy's review date (audited)."""
    with db.atomic():
        serialize(_SETUP_LOCK)  # two first saves at once: the second finds the first's row
        row = _the_row() or SchoolSettings()
        changed = [name for name in ("school_name", "dsl_name", "public_url", "thanks_next_step",
                                     "privacy_contact")
                   if getattr(row, name) != getattr(details, name)]
        for name in changed:
            setattr(row, name, getattr(details, name))
        for kind in SchoolImage.KINDS:
            new, remove = getattr(details, kind), getattr(details, f"remove_{kind}")
            if new is not None:
                digest = hashlib.sha256(new.data).hexdigest()
                (SchoolImage.insert(kind=kind, content_type=new.content_type, data=new.data,
                                    digest=digest, updated_at=utcnow())
                 .on_conflict(conflict_target=[SchoolImage.kind],
                              update={SchoolImage.content_type: new.content_type,
                                      SchoolImage.data: new.data, SchoolImage.digest: digest,
                                      SchoolImage.updated_at: utcnow()})
                 .execute())
                setattr(row, f"{kind}_digest", digest)
                changed.append(kind)
            elif remove and getattr(row, f"{kind}_digest"):
                SchoolImage.delete().where(SchoolImage.kind == kind).execute()
                setattr(row, f"{kind}_digest", "")
                changed.append(kind)
        row.completed_at = row.completed_at or utcnow()
        row.updated_at = utcnow()
        row.save()
        current = PolicyVersion.current()
        if current is not None and current.review_due != details.review_due:
            # The review date is a plan about the text, not part of it: changing it is no new
            # version, and acceptances are unaffected.
            current.review_due = details.review_due
            current.save()
            changed.append("review_due")
        audit.record("school.setup_saved", kind="school_settings", record_id=row.id,
                     changed=changed)
    g.pop("school_settings", None)
    g.pop("school_name", None)
    return row


def setup_complete() -> bool:
    return settings().completed_at is not None


def cache_part() -> str:
    """What of the set-up appears on the public pages a device keeps offline."""
    row = settings()
    return "|".join([row.school_name, row.dsl_name, row.thanks_next_step, row.privacy_contact,
                     row.logo_digest, row.dsl_photo_digest, row.public_url])
