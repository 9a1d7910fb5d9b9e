"""The visitor's form: accepting the policy (on the kiosk, a phone or a personal link)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from .. import policy_translations
from ..models import PolicyTranslation, PolicyVersion, RosterPerson
from ..text import clean_text
from ..vocabulary import CHANNELS, VISITOR_ROLES
from .fields import DAMAGED, ClientUUIDField, refuse_control_characters


class AcceptForm(FlaskForm):
    """The visitor's acceptance: who they are and that they accept the version they read."""

    full_name = StringField(
        _l("Full name"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter your full name.")),
            Length(min=2, max=100, message=_l("Your name must be between 2 and 100 characters.")),
            refuse_control_characters,
        ],
    )
    role = RadioField(
        # Translators: the question before the list of roles ("I am a" visitor, parent or carer...)
        _l("I am a"),
        choices=[SelectChoice(value, label) for value, label in VISITOR_ROLES.items()],
        validators=[InputRequired(_l("Please choose what best describes you.")),
                    AnyOf(VISITOR_ROLES, message=_l("Please choose one of the listed options."))],
        validate_choice=False,  # AnyOf's message is plainer than wtforms' own
    )
    organisation = StringField(
        _l("Organisation or company (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=100, message=_l("Please keep this under 100 characters.")),
                    refuse_control_characters],
    )
    reason = StringField(
        _l("Reason for your visit (optional)"),
        filters=[clean_text],
        validators=[Optional(), Length(max=200, message=_l("Please keep this under 200 characters.")),
                    refuse_control_characters],
    )
    accept = BooleanField(
        _l("I have read and accept the policy"),
        validators=[InputRequired(_l("Please tick to show you have read and accept the policy."))],
    )
    client_uuid = ClientUUIDField()
    policy_version = HiddenField()
    channel = HiddenField(validators=[AnyOf(CHANNELS, message=DAMAGED)])
    roster_token = HiddenField()  # from a personal link
    translation = HiddenField()  # the translation of the version they were shown, if any

    version: PolicyVersion | None = None  # set from policy_version once validated
    roster_person: RosterPerson | None = None  # set from roster_token once validated
    shown: PolicyTranslation | None = None  # set from translation once validated

    def validate_translation(self, field) -> None:
        """Checked after policy_version (fields validate in order): a translation of that
        version, replaced or withdrawn since or not, is what they read."""
        if not field.data or self.version is None:
            return
        self.shown = policy_translations.shown_to_reader(field.data, self.version)
        if self.shown is None:
            raise ValidationError(DAMAGED)

    def validate_roster_token(self, field) -> None:
        if not field.data:
            if self.channel.data == "link":
                raise ValidationError(DAMAGED)
            return
        self.roster_person = RosterPerson.with_link(field.data)
        if self.roster_person is None:
            raise ValidationError(_("This personal link is no longer in use. Please ask the school "
                                    "for a new one, or use the kiosk."))

    def validate_accept(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Please tick to show you have read and accept the policy."))

    def validate_policy_version(self, field) -> None:
        version = None
        if re.fullmatch(r"[0-9]{1,9}", str(field.data or "")):
            version = PolicyVersion.numbered(int(field.data))
        if version is None:
            raise ValidationError(DAMAGED)
        self.version = version
