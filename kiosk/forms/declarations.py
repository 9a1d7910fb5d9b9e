"""The form of a declaration of a family link: who, the relationship, since when."""

from __future__ import annotations

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
        "The pupil and their family", filters=[clean_text],
        description="For example: Amy Jones in Year 2, and her mum, Kate Jones.", validators=[
            DataRequired("Please say which pupil and family the link is with."),
            Length(max=200, message="Please keep this under 200 characters."),
            refuse_control_characters])
    relationship = StringField(
        "Your relationship to them", filters=[clean_text],
        description="For example: I am Amy's aunt; Kate is a close friend.", validators=[
            DataRequired("Please give your relationship to them."),
            Length(max=100, message="Please keep the relationship under 100 characters."),
            refuse_control_characters])
    since = StringField(
        "Since when", filters=[clean_text],
        description="In your own words: a year, such as 2019, or \u201csince she was born\u201d.",
        validators=[
            DataRequired("Please say since when, in your own words."),
            Length(max=60, message="Please keep this under 60 characters."),
            refuse_control_characters])

    def details(self) -> DeclarationDetails:
        """The validated form as the declaration to record."""
        return DeclarationDetails(client_uuid=self.client_uuid.data, who=self.who.data,
                                  relationship=self.relationship.data, since=self.since.data)
