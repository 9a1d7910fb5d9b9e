"""Every render of a page that shows a record whole writes that record's view event.

The pages are named here by their templates (`RECORD_PAGES`). Flask announces each render
(`before_render_template`) and the event is written from the page's own context: by the GET, by
a form sent back with its errors (a 422 shows the whole record again), by any view that renders
the page, whatever its status code. No view writes a view event itself, so none can forget it;
a new page that shows a record whole is added here (tests/test_viewed.py fails until it is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, before_render_template

from . import audit


@dataclass(frozen=True)
class View:
    action: str
    kind: str
    record_id: object = ""
    detail: dict = field(default_factory=dict)


def _breach(context: Mapping[str, Any]) -> View:
    return View("breach.viewed", "breach", context["breach"].public_id)


def _deletion(context: Mapping[str, Any]) -> View:
    return View("deletion_request.viewed", "deletion_request", context["request_row"].public_id)


def _welfare_task(context: Mapping[str, Any]) -> View:
    return View("welfare_task.viewed", "welfare_task", context["task"].public_id)


def _low_level_person(context: Mapping[str, Any]) -> View:
    return View("low_level.person_viewed", "breach",
                detail={"shown": [str(b.public_id) for b in context["person"].concerns]})


def _deletion_form(context: Mapping[str, Any]) -> View | None:
    """The deletion form opened from a breach shows which breach it is for."""
    breach = context.get("breach")
    if breach is None:
        return None
    return View("breach.viewed", "breach", breach.public_id, {"page": "deletion form"})


def _permission(context: Mapping[str, Any]) -> View:
    """A permission request, by the head or its requester (a person on the roster, through
    their link, is no member of staff, even on a signed-in iPad)."""
    by_person = context.get("person") is not None
    return View("permission_request.viewed", "permission_request", context["row"].public_id,
                {"visitor": True} if by_person else {})


RECORD_PAGES: dict[str, Callable[[Mapping[str, Any]], View | None]] = {
    "records/breach.html": _breach,
    "records/deletion.html": _deletion,
    "records/welfare_task.html": _welfare_task,
    "records/low_level_person.html": _low_level_person,
    "staff/deletion_new.html": _deletion_form,
    "permissions/head_request.html": _permission,
    "permissions/request.html": _permission,
}


def _rendering(sender: Flask, template, context: dict, **extra) -> None:
    seen = RECORD_PAGES.get(template.name)
    view = seen(context) if seen else None
    if view is not None:
        audit.record(view.action, kind=view.kind, record_id=view.record_id, **view.detail)


def init_app(app: Flask) -> None:
    before_render_template.connect(_rendering, app)
