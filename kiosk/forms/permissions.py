"""Forms for asking the headteacher's permission to post about the school, the head's decision,
and the answer to the head's question."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..display import today
from ..permissions import WAIT_DAYS_LIMITS, Asked, Decision
from ..text import clean_block, clean_text
from ..vocabulary import CONSENT_ANSWERS, PERMISSION_DECISIONS, PERMISSION_SHOWS
from .desk import DayField
from .fields import (
    ClientUUIDField,
    MultiCheckboxField,
    choices,
    refuse_control_characters,
    refuse_controls_in_block,
)


def block(label: LazyString, required: LazyString | None, longest: int = 2000,
          **kwargs) -> TextAreaField:
    first = [DataRequired(required)] if required else [Optional()]
    limit = f"{longest:,}"
    return TextAreaField(label, filters=[clean_block], validators=[
        *first, Length(max=longest, message=_l("Please keep this under %(longest)s characters.",
                                               longest=limit)),
        refuse_controls_in_block], **kwargs)


class PermissionRequestForm(FlaskForm):
    """What someone wants to post or publish about the school."""

    client_uuid = ClientUUIDField()
    what = block(_l("What do you want to post or publish?"),
                 _l("Please say what you want to post or publish."), description=_l(
                     "For example: photos of the summer fair for the PTA's Facebook page, or a "
                     "piece about the new library for the parish newsletter."))
    where = StringField(_l("Where will it appear?"), filters=[clean_text], description=_l(
        "The website, social media page or publication."), validators=[
        DataRequired(_l("Please say where it will appear.")),
        Length(max=200, message=_l("Please keep this under 200 characters.")),
        refuse_control_characters])
    post_on = DayField(_l("When do you want to post it?"), validators=[
        InputRequired(_l("Please give the day you want to post it, for example 3/3/2026."))])
    shows = MultiCheckboxField(_l("Does it show or name any of these? Tick all that apply"),
                               choices=choices(PERMISSION_SHOWS), validate_choice=False)
    consent_answer = RadioField(
        _l("Has the pupils' photo consent been checked with the school office?"),
        choices=choices(CONSENT_ANSWERS), validate_choice=False)

    def validate_post_on(self, field) -> None:
        if field.data and field.data < today():
            raise ValidationError(_("That day has passed. Permission is asked before posting."))

    def validate_shows(self, field) -> None:
        if any(code not in PERMISSION_SHOWS for code in field.data or []):
            raise ValidationError(_("Please tick only the choices shown."))

    def validate_consent_answer(self, field) -> None:
        if "pupils" in (self.shows.data or []) and field.data not in CONSENT_ANSWERS:
            raise ValidationError(_("It shows pupils: please say whether their photo consent "
                                    "has been checked."))

    def asked(self) -> Asked:
        return Asked(client_uuid=self.client_uuid.data, what=self.what.data,
                     where=self.where.data, post_on=self.post_on.data,
                     shows=list(self.shows.data or []),
                     consent_answer=self.consent_answer.data or "")


class DecisionForm(FlaskForm):
    """The headteacher's decision on a request."""

    decision = RadioField(_l("What do you decide?"), choices=choices(PERMISSION_DECISIONS),
                          validate_choice=False, validators=[
                              InputRequired(_l("Please choose to approve, decline or ask a "
                                               "question.")),
                              AnyOf(PERMISSION_DECISIONS, message=_l("Please choose to approve, "
                                    "decline or ask a question."))])
    conditions = block(_l("Conditions (optional)"), None, 1000, description=_l(
        "For example: no faces, first names only, no school uniform logo."))
    ends_on = DayField(_l("The last day this permission holds"), validators=[Optional()])
    consent_checked = BooleanField(_l("I have checked these pupils' photo consent in the "
                                      "school's information system"))
    consent_checked_by = StringField(_l("Checked by"), filters=[clean_text], validators=[
        Length(max=100, message=_l("Please keep the name under 100 characters.")),
        refuse_control_characters])
    consent_checked_on = DayField(_l("Checked on"), validators=[Optional()])
    reason = block(_l("Why it is declined"), None, 1000, description=_l(
        "They are emailed this, so they know what to change."))
    question = block(_l("Your question"), None, 1000, description=_l(
        "They are emailed it and answer here; the request then comes back to you."))

    def validate_ends_on(self, field) -> None:
        if self.decision.data == "approved" and field.data is None and not field.errors:
            raise ValidationError(_("Please give the last day the permission holds."))

    def validate_reason(self, field) -> None:
        if self.decision.data == "declined" and not field.data:
            raise ValidationError(_("Please give the reason, so they know what to change."))

    def validate_question(self, field) -> None:
        if self.decision.data == "question" and not field.data:
            raise ValidationError(_("Please write your question."))

    def decision_made(self) -> Decision:
        return Decision(decision=self.decision.data, conditions=self.conditions.data or "",
                        ends_on=self.ends_on.data, reason=self.reason.data or "",
                        question=self.question.data or "",
                        consent_checked=bool(self.consent_checked.data),
                        consent_checked_by=self.consent_checked_by.data or "",
                        consent_checked_on=self.consent_checked_on.data)


class AnswerForm(FlaskForm):
    """The requester's answer to the head's question."""

    answer = block(_l("Your answer"), _l("Please write your answer."), 2000)


class WaitDaysForm(FlaskForm):
    """How many working days a request may wait before it is flagged."""

    days = IntegerField(_l("Flag a request waiting longer than this many working days"),
                        validators=[
        InputRequired(_l("Please give a number of working days, from 1 to 30.")),
        NumberRange(*WAIT_DAYS_LIMITS, message=_l("Please give a number of working days, from 1 "
                                                  "to 30."))])
