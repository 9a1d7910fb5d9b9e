"""What every template can use, registered in one place, and the audience each blueprint serves.

- `asset(name)`: a static file's URL carrying its content's hash.
- The school's details: `school_name()`, `school`, `school_image(kind)`, `next_step`, and
  `review_overdue()` for the leads' banner.
- Filters: `long_date`, `local_date`, `local_time`, `short_time`, `weekday_date`,
  `weekday_time` (UK dates and times, `display.py`, in the page's language) and `label` (a
  stored code in words, `vocabulary.py`); the global `vocabulary(name)` for lists.
- `audience`: "public" (the kiosk and phones), "sign-in" or "staff". Each blueprint names its
  own with `serves`; `base.html` picks the manifest, the header and the outbox's wording from it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Flask, current_app, request, url_for

from . import devices, display, school
from .policies import review_overdue
from .vocabulary import VOCABULARIES, label

AUDIENCES = ("public", "sign-in", "staff")


def serves(blueprint: Blueprint, audience: str) -> None:
    """Every page of this blueprint is for this audience (a view may still pass its own)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    blueprint.context_processor(lambda: {"audience": audience})


@lru_cache(maxsize=512)
def _file_version(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def asset(filename: str) -> str:
    """A static file's URL with its content's hash, so a new release is never mixed with files
    cached from the last one. Worked out once per file (and prefix the app is served under) in
    each process: a page asks for five."""
    key = (request.script_root, filename)
    if key not in _asset_urls:
        _asset_urls[key] = url_for(
            "static", filename=filename,
            v=_file_version(str(Path(current_app.static_folder) / filename)))
    return _asset_urls[key]


_asset_urls: dict[tuple[str, str], str] = {}


def _shared() -> dict:
    return {"asset": asset, "school_name": school.school_name, "school": school.settings,
            "school_image": school.image_url, "next_step": school.thanks_next_step,
            "review_overdue": review_overdue, "vocabulary": VOCABULARIES.__getitem__,
            "audience": "public", "paired_kiosk": devices.current, "release": devices.release}


def init_app(app: Flask) -> None:
    app.context_processor(_shared)
    for name, shown in display.FILTERS.items():  # dates in the words of the page's language
        app.add_template_filter(shown, name)
    app.add_template_filter(label)
