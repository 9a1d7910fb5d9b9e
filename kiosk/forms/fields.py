"""What every form shares: the form's own UUID, local date-times, lists of choices, and the
checks on typed text. Text is cleaned by `kiosk.text`; these turn its findings into messages."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, HiddenField, SelectMultipleField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..display import school_zone, to_local
from ..models import as_stored, utcnow
from ..text import has_block_controls, has_control_characters, normalise_email

EARLIEST, LATEST = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)


def refuse_control_characters(form, field) -> None:
    """Refuse control characters, line and paragraph separators and direction overrides in
    one-line text."""
    if has_control_characters(field.data or ""):
        raise ValidationError(_("Please use letters, numbers and punctuation only."))


DAMAGED = _l("This form was damaged; please start again.")


def staff_email(value: str | None) -> str:
    """A staff account's email as accounts stores and looks it up."""
    return normalise_email(value or "")


def refuse_controls_in_block(form, field) -> None:
    """Refuse control characters (other than new lines and tabs) in multi-line text."""
    if has_block_controls(field.data or ""):
        raise ValidationError(_("Please use letters, numbers and punctuation only."))


class ClientUUIDField(HiddenField):
    """The UUID made when a form was opened (or on the device, for the outbox): sending the form
    twice records it once. Anything that is not a UUID means the form was tampered with."""

    def pre_validate(self, form) -> None:
        try:
            self.data = uuid.UUID(str(self.data))
        except ValueError:
            raise ValidationError(DAMAGED) from None


def choices(mapping: Mapping[str, object]) -> list[SelectChoice]:
    """A fixed list's codes and words (lazy, from vocabulary.py) as a field's choices."""
    return [SelectChoice(value, label) for value, label in mapping.items()]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the school's time zone, stored in UTC; not in the future."""

    def __init__(self, label: object, **kwargs):
        super().__init__(label, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            self.data = None
            raise ValueError(_("Please give a date between 2000 and 2100."))
        if self.data is not None:
            self.data = as_stored(self.data.replace(tzinfo=school_zone()))

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return to_local(self.data).strftime("%Y-%m-%dT%H:%M")


def not_in_the_future(form, field) -> None:
    if field.data and field.data > utcnow() + dt.timedelta(minutes=5):
        raise ValidationError(_("That time is in the future."))
