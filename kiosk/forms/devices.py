"""Forms for kiosk devices: the head adds one and sets when a silent one is flagged; a tablet
enters its pairing code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ..devices import CODE_DIGITS, SILENT_HOURS_LIMITS, plain_digits
from ..text import clean_text
from .fields import refuse_control_characters


class DeviceForm(FlaskForm):
    """A new device, by the name the school knows it by."""

    name = StringField(_l("Name of the device"), filters=[clean_text], description=_l(
        "Where it stands, so you know it in the list: for example “Entrance tablet” or "
        "“Nursery door”."), validators=[
        DataRequired(_l("Please give the device a name.")),
        Length(max=60, message=_l("Please keep the name under 60 characters.")),
        refuse_control_characters])


class PairForm(FlaskForm):
    """The six-digit code the head was given."""

    code = StringField(_l("Pairing code"), filters=[lambda v: "".join((v or "").split())],
                       description=_l("The six digits the headteacher was shown when adding "
                                      "this device. They work for ten minutes."),
                       validators=[DataRequired(_l("Please enter the six-digit code."))])

    def validate_code(self, field) -> None:
        if len(plain_digits(field.data)) != CODE_DIGITS:
            raise ValidationError(_("Please enter the six digits of the code."))


class SilentHoursForm(FlaskForm):
    hours = IntegerField(_l("Flag a device not seen for longer than this many hours"), validators=[
        InputRequired(_l("Please give a number of hours, from 1 to 336.")),
        NumberRange(*SILENT_HOURS_LIMITS, message=_l("Please give a number of hours, from 1 to "
                                                     "336."))])


class ReportForm(FlaskForm):
    """What a paired tablet reports a few times an hour (sent by its page's script)."""

    version = StringField(validators=[Length(max=40)])
    waiting = IntegerField(validators=[InputRequired(), NumberRange(0, 1_000_000)])
