"""The form of a declaration of a family link: who, the relationship, since when."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..declarations import DeclarationDetails
from ..text import clean_text
from .fields import ClientUUIDField, refuse_control_characters


class DeclarationForm(FlaskForm):
    """A member of staff declares a family or friendship link with a pupil's family."""

    client_uuid = ClientUUIDField()
    who = StringField(
        _l("The pupil and their family"), filters=[clean_text],
        description=_l("For example: Amy Jones in Year 2, and her mum, Kate Jones."), validators=[
            DataRequired(_l("Please say which pupil and family the link is with.")),
            Length(max=200, message=_l("Please keep this under 200 characters.")),
            refuse_control_characters])
    relationship = StringField(
        _l("Your relationship to them"), filters=[clean_text],
        description=_l("For example: I am Amy's aunt; Kate is a close friend."), validators=[
            DataRequired(_l("Please give your relationship to them.")),
            Length(max=100, message=_l("Please keep the relationship under 100 characters.")),
            refuse_control_characters])
    since = StringField(
        _l("Since when"), filters=[clean_text],
        description=_l("In your own words: a year, such as 2019, or \u201csince she was born\u201d."),
        validators=[
            DataRequired(_l("Please say since when, in your own words.")),
            Length(max=60, message=_l("Please keep this under 60 characters.")),
            refuse_control_characters])

    def details(self) -> DeclarationDetails:
        """The validated form as the declaration to record."""
        return DeclarationDetails(client_uuid=self.client_uuid.data, who=self.who.data,
                                  relationship=self.relationship.data, since=self.since.data)
