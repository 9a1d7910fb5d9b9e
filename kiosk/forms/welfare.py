"""Forms for a child's welfare: "A child told me something", and the welfare tasks (the case
manager's part on a concern about staff, the DSL's on the task)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from ..disclosures import DisclosureDetails
from ..text import clean_block, clean_text
from ..vocabulary import DISCLOSURE_ABOUT, WELFARE_STATUSES
from .fields import (
    ClientUUIDField,
    LocalDateTimeField,
    choices,
    not_in_the_future,
    refuse_control_characters,
    refuse_controls_in_block,
)

PUPILS_LONGEST = 300  # WelfareTask.pupils


def pupils_field(label: str, *validators):
    return StringField(label, filters=[clean_text], validators=[
        *validators,
        Length(max=PUPILS_LONGEST, message=_l("Please keep the names under 300 characters.")),
        refuse_control_characters])


class DisclosureForm(FlaskForm):
    """A child told a member of staff something."""

    client_uuid = ClientUUIDField()
    child_name = pupils_field(_l("The child's name"), DataRequired(_l("Please give the child's name.")))
    told_at = LocalDateTimeField(_l("When they told you"), validators=[
        InputRequired(_l("Please give the date and time.")), not_in_the_future])
    child_words = TextAreaField(
        _l("The child's words, as they said them (optional)"), filters=[clean_block],
        description=_l("If you choose to write them here. Only the DSL and the headteacher can "
                       "read them; if it is about an adult at school, only the headteacher (the "
                       "chair of governors, if it is about the headteacher)."), validators=[
            Optional(), Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
            refuse_controls_in_block])
    about_adult = RadioField(
        _l("Was it about an adult who works or volunteers at the school?"),
        choices=choices(DISCLOSURE_ABOUT), validate_choice=False, validators=[
            InputRequired(_l("Please say whether it was about an adult at the school.")),
            AnyOf(DISCLOSURE_ABOUT, message=_l("Please say whether it was about an adult at "
                                               "the school."))])
    adult_name = StringField(_l("The adult's name"), filters=[clean_text], description=(
        _l("What the child said and this name go only to the headteacher (the chair of "
           "governors if it is about the headteacher). The DSL is told that a child said "
           "something, not what.")),
        validators=[
        Length(max=100, message=_l("Please keep the name under 100 characters.")),
        refuse_control_characters])
    safeguarding_ref = StringField(
        _l("Reference in the school's safeguarding system, such as CPOMS or MyConcern (optional)"),
        filters=[clean_text], validators=[
            Optional(), Length(max=100, message=_l("Please keep this under 100 characters.")),
            refuse_control_characters])

    def validate_adult_name(self, field) -> None:
        if self.about_adult.data == "yes" and not field.data:
            raise ValidationError(_("Please give the adult's name, so the headteacher knows who "
                                    "it is about."))

    def details(self) -> DisclosureDetails:
        """The validated form as the disclosure to record (the adult's name only when it was
        about an adult at school)."""
        about = self.about_adult.data
        return DisclosureDetails(
            client_uuid=self.client_uuid.data, child_name=self.child_name.data,
            told_at=self.told_at.data, child_words=self.child_words.data or "",
            about_adult=about,
            # Stored as the adult's name: in English, not translated.
            adult_name="" if about == "no" else self.adult_name.data or (
                "The headteacher" if about == "head" else ""),
            safeguarding_ref=self.safeguarding_ref.data or "")


# The case manager's part ------------------------------------------------------------------------

class WelfareTaskForm(FlaskForm):
    """Add a welfare task naming pupils, when the reporter did not."""

    client_uuid = ClientUUIDField()
    pupils = pupils_field(_l("Pupils involved"), DataRequired(_l("Please give the pupil's name.")))


class WelfareNoteForm(FlaskForm):
    text = TextAreaField(_l("What the DSL needs to know for the child's welfare"), filters=[clean_block],
                         validators=[DataRequired(_l("Please write what the DSL needs to know.")),
                                     Length(max=5000, message=_l(
                                         "Please keep this under 5,000 characters.")),
                                     refuse_controls_in_block])


class ShareNameForm(FlaskForm):
    confirm = BooleanField(_l("Yes, I have decided the DSL should know who this concern is about"),
                           validators=[InputRequired(_l("Please tick to confirm sharing the name."))])


# The DSL's part -----------------------------------------------------------------------------------

class TaskNoteForm(FlaskForm):
    # Translators: the label of the box for a note on a welfare task
    text = TextAreaField(_l("Note"), filters=[clean_block], validators=[
        DataRequired(_l("Please write the note.")),
        Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])


class ReferenceForm(FlaskForm):
    safeguarding_ref = StringField(
        _l("Reference in the school's safeguarding system (CPOMS, MyConcern)"), filters=[clean_text],
        validators=[Length(max=100, message=_l("Please keep this under 100 characters.")),
                    refuse_control_characters])


class TaskStatusForm(FlaskForm):
    status = RadioField(_l("This task is"), choices=choices(WELFARE_STATUSES), validate_choice=False,
                        validators=[InputRequired(_l("Please choose to do or done.")),
                                    AnyOf(WELFARE_STATUSES, message=_l("Please choose to do or done."))])
    note = TextAreaField(_l("What was done (optional)"), filters=[clean_block], validators=[
        Optional(), Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])
