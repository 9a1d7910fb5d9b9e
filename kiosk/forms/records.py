"""Forms for records: logging a breach, a deletion request and its outcome, triage, the LADO."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, RadioField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, ValidationError

from ..breaches import BreachDetails, LadoDetails, category_fits
from ..deletions import DEADLINE_RULE, DeletionDetails
from ..low_level import ENTRY_KINDS as LOW_LEVEL_ENTRY_KINDS
from ..models import Acceptance, BreachCategory
from ..staff_concerns import AllegationClosing
from ..text import clean_block, clean_text, search_name
from ..vocabulary import (
    ALLEGATION_OUTCOMES,
    BREACH_ACTIONS,
    BREACH_STATUSES,
    CLASSIFICATIONS,
    HARM_TESTS,
    LOCATIONS,
    MATERIALS,
    OUTCOMES,
    SUBJECT_KINDS,
    SUSPENSION_DECISIONS,
)
from .desk import DayField
from .fields import (
    DAMAGED,
    ClientUUIDField,
    LocalDateTimeField,
    MultiCheckboxField,
    choices,
    not_in_the_future,
    refuse_control_characters,
    refuse_controls_in_block,
)

LONGEST_DEADLINE = dt.timedelta(days=30)


def acceptance_from(field) -> Acceptance | None:
    """The acceptance a hidden field names by its UUID (none if empty); a bad value is refused."""
    if not field.data:
        return None
    row = Acceptance.by_client_uuid(field.data)
    if row is None:
        raise ValidationError(DAMAGED)
    return row


class TodaysVisitorSearch(Form):
    """The search for one of today's visitors by name, beside their tiles (a breach's who and
    details steps, the deletion form, today's visitors). A GET that changes nothing, so no
    CSRF token; whatever is typed is only looked for (todays_visitors), never refused."""

    search = StringField(_l("Search today's visitors by name"),
                         filters=[lambda value: search_name(value or "")])


class BreachForm(FlaskForm):
    """The details step of logging a breach; who and what come from the earlier taps."""

    client_uuid = ClientUUIDField()
    subject_kind = HiddenField(validators=[AnyOf(SUBJECT_KINDS, message=DAMAGED)])
    category = HiddenField()
    acceptance = HiddenField()
    # "Were they asked to delete it?": the value of the save button pressed ("yes" or "no").
    asked_to_delete = HiddenField()
    subject_name = StringField(_l("Their name, if known (optional)"), filters=[clean_text], validators=[
        Optional(), Length(max=100, message=_l("Please keep the name under 100 characters.")),
        refuse_control_characters])
    location = StringField(_l("Where (optional)"), filters=[clean_text], validators=[
        Optional(), Length(max=200, message=_l("Please keep this under 200 characters.")),
        refuse_control_characters])
    # Translators: the label of the date and time a breach happened
    occurred_at = LocalDateTimeField(_l("When"), validators=[
        InputRequired(_l("Please give the date and time.")), not_in_the_future])
    description = TextAreaField(_l("What happened (optional)"), filters=[clean_block], validators=[
        Optional(), Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])
    actions = MultiCheckboxField(_l("Actions already taken (optional)"), choices=choices(BREACH_ACTIONS),
                                 validate_choice=False)
    safeguarding = BooleanField(_l("This is a safeguarding matter: tell the DSL"))
    # What ticking it does is said beside it (breaches.who_will_see): the chair, not the head.
    concerns_head = BooleanField(_l("This concern is about the headteacher"))
    # Asked only about a member of staff: the DSL gets a welfare task naming them.
    pupils = StringField(_l("Pupils involved (optional)"), filters=[clean_text], validators=[
        Optional(), Length(max=300, message=_l("Please keep the names under 300 characters.")),
        refuse_control_characters])

    category_row: BreachCategory | None = None
    acceptance_row: Acceptance | None = None

    def validate_category(self, field) -> None:
        category = BreachCategory.in_use_by_slug(field.data or "")
        if category is None:
            raise ValidationError(_("That kind of breach is not in use any more; please log it "
                                    "again and choose another."))
        # A concern about an adult in school is offered only for a member of staff: with anyone
        # else it would be sent to the head alone without the person logging it knowing.
        if not category_fits(self.subject_kind.data, category):
            # Translators: %(option)s is the answer "Member of staff", as the form says it
            raise ValidationError(_("That is a concern about a member of staff: please choose "
                                    "%(option)s as who it was, or choose what else happened.",
                                    option=str(SUBJECT_KINDS["staff"])))
        self.category_row = category

    def validate_acceptance(self, field) -> None:
        self.acceptance_row = acceptance_from(field)

    def validate_actions(self, field) -> None:
        if any(code not in BREACH_ACTIONS for code in field.data or []):
            raise ValidationError(_("Please choose from the listed actions."))

    def offer_actions_for(self, category: BreachCategory | None) -> None:
        """A category with material to delete asks "Were they asked to delete it?" with its save
        buttons; that is not asked again among the actions."""
        if category is not None and category.material:
            self.actions.choices = [c for c in self.actions.choices if c.value != "asked_to_delete"]

    def details(self) -> BreachDetails:
        """The validated form as the breach to log. The quick "Yes, they were asked to delete
        it: save" button counts as that action."""
        actions = set(self.actions.data or [])
        if self.asked_to_delete.data == "yes":
            actions.add("asked_to_delete")
        return BreachDetails(
            client_uuid=self.client_uuid.data, subject_kind=self.subject_kind.data,
            category=self.category_row, occurred_at=self.occurred_at.data,
            subject_name=self.subject_name.data, acceptance=self.acceptance_row,
            location=self.location.data, description=self.description.data,
            actions=tuple(code for code in BREACH_ACTIONS if code in actions),
            flag_safeguarding=self.safeguarding.data, concerns_head=self.concerns_head.data,
            pupils=self.pupils.data if self.subject_kind.data == "staff" else "")


class OfflineBreachForm(BreachForm):
    """The same form on the offline staff screen, where who and what are tiles (online they are
    the two taps before it). Only shown: what it saves goes to the API's BreachForm."""

    subject_kind = RadioField(_l("Who was it?"), choices=choices(SUBJECT_KINDS), validate_choice=False,
                              validators=[InputRequired(_l("Please choose who it was."))])
    category = RadioField(_l("What happened?"), validate_choice=False,
                          validators=[InputRequired(_l("Please choose what happened."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A category about a member of staff fits only a member of staff (the page's script
        # shows its tile only then; without it, the server refuses it with anyone else).
        self.category.choices = [
            SelectChoice(c.slug, c.label,
                         render_kw={"data-shown-when": "subject_kind=staff"} if c.restricted else {})
            for c in BreachCategory.in_use()]


class DeletionRequestForm(FlaskForm):
    """Someone was asked to delete material."""

    client_uuid = ClientUUIDField()
    breach = HiddenField()
    material = RadioField(_l("What material"), choices=choices(MATERIALS), validate_choice=False,
                          validators=[InputRequired(_l("Please choose what material.")),
                                      AnyOf(MATERIALS, message=_l("Please choose what material."))])
    material_location = RadioField(_l("Where is it"), choices=choices(LOCATIONS), validate_choice=False,
                                   validators=[InputRequired(_l("Please choose where it is.")),
                                               AnyOf(LOCATIONS, message=_l("Please choose where it is."))])
    # No Optional() on these two: their checks below depend on the other fields.
    link = URLField(_l("Link to it online"), filters=[lambda v: (v or "").strip()], validators=[
        Length(max=500, message=_l("Please keep the link under 500 characters."))])
    person_name = StringField(_l("Who was asked"), filters=[clean_text], validators=[
        Length(max=100, message=_l("Please keep the name under 100 characters.")),
        refuse_control_characters])
    acceptance = HiddenField()
    asked_at = LocalDateTimeField(_l("When were they asked"), validators=[
        InputRequired(_l("Please give the date and time.")), not_in_the_future])
    # Left empty, the deadline is deletions' default, and the hint says which.
    due_by = LocalDateTimeField(_l("Due by (optional)"), description=DEADLINE_RULE,
                                validators=[Optional()])

    acceptance_row: Acceptance | None = None

    def validate_link(self, field) -> None:
        if self.material_location.data == "online" and not field.data:
            raise ValidationError(_("Please give the link, so someone can check it has gone."))
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError(_("Please give a link starting https://"))

    def validate_person_name(self, field) -> None:
        if not field.data and not self.acceptance.data:
            raise ValidationError(_("Please give the name of the person asked."))

    def validate_acceptance(self, field) -> None:
        self.acceptance_row = acceptance_from(field)

    def details(self, breach) -> DeletionDetails:
        """The validated form as the deletion request to record."""
        return DeletionDetails(
            client_uuid=self.client_uuid.data, material=self.material.data,
            material_location=self.material_location.data, asked_at=self.asked_at.data,
            person_name=self.person_name.data, acceptance=self.acceptance_row,
            link=self.link.data, due_by=self.due_by.data, breach=breach)

    def validate_due_by(self, field) -> None:
        if field.data and self.asked_at.data and field.data <= self.asked_at.data:
            raise ValidationError(_("The deadline must be after the time they were asked."))
        if field.data and self.asked_at.data and field.data > self.asked_at.data + LONGEST_DEADLINE:
            raise ValidationError(_("The deadline must be within 30 days of asking."))


class OutcomeForm(FlaskForm):
    outcome = RadioField(_l("What happened"), validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in OUTCOMES.items() if k != "pending"],
                         validators=[InputRequired(_l("Please choose what happened."))])
    note = TextAreaField(_l("Notes (optional)"), filters=[clean_block], validators=[
        Optional(), Length(max=2000, message=_l("Please keep this under 2,000 characters.")),
        refuse_controls_in_block])
    # Which outcomes can be recorded, and when, is deletions.record_outcome's rule; the view shows
    # its OutcomeError beside this field.


class StatusForm(FlaskForm):
    # Translators: a breach's status: open, in review or closed
    status = RadioField(_l("Status"), choices=choices(BREACH_STATUSES), validate_choice=False,
                        validators=[InputRequired(_l("Please choose a status.")),
                                    AnyOf(BREACH_STATUSES, message=_l("Please choose a status."))])
    note = TextAreaField(_l("Outcome or reason (needed to close)"), filters=[clean_block], validators=[
        Optional(), Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])
    # Closing needs an outcome: breaches.change_status's rule; its error is shown beside `note`.


class NoteForm(FlaskForm):
    # Translators: a label before the choice "A note" or "An action taken"
    kind = RadioField(_l("This is"), choices=choices({"note": _l("A note"), "action": _l("An action taken")}),
                      default="note", validate_choice=False,
                      validators=[InputRequired(_l("Please choose a note or an action."))])
    # Translators: the label of the box where a note or an action is written
    text = TextAreaField(_l("Text"), filters=[clean_block], validators=[
        DataRequired(_l("Please write the note.")),
        Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])
    # Which kinds there are is breaches.add_note's rule; the view shows its TriageError here.


class LadoForm(FlaskForm):
    referred_at = LocalDateTimeField(_l("Referred to the LADO on (leave empty if not yet)"),
                                     validators=[Optional(), not_in_the_future])
    reference = StringField(_l("LADO reference (optional)"), filters=[clean_text], validators=[
        Optional(), Length(max=100, message=_l("Please keep this under 100 characters.")),
        refuse_control_characters])
    advice = TextAreaField(_l("Advice given (optional)"), filters=[clean_block], validators=[
        Optional(), Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])
    police_involved = BooleanField(_l("The police are involved"))
    outcome = TextAreaField(_l("Outcome (optional)"), filters=[clean_block], validators=[
        Optional(), Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])

    def details(self) -> LadoDetails:
        return LadoDetails(referred_at=self.referred_at.data, reference=self.reference.data,
                           advice=self.advice.data, police_involved=self.police_involved.data,
                           outcome=self.outcome.data)


# A concern about a member of staff, for its case manager (staff_concerns) ---------------------------

class ClassifyForm(FlaskForm):
    classification = RadioField(_l("What is this?"), choices=choices(CLASSIFICATIONS),
                                validate_choice=False, validators=[
                                    InputRequired(_l("Please choose what this is.")),
                                    AnyOf(CLASSIFICATIONS, message=_l("Please choose what this is."))])
    # Needed, and kept, only for an allegation: staff_concerns.classify's rule.
    harm_tests = MultiCheckboxField(_l("For an allegation: which of these may it meet? Tick "
                                       "each that applies"), choices=choices(HARM_TESTS),
                                    validate_choice=False)
    reason = TextAreaField(_l("The reason for this decision"), id="classify_reason",
                           filters=[clean_block], validators=[
        DataRequired(_l("Please give the reason for this decision.")),
        Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])

    def validate_harm_tests(self, field) -> None:
        if any(code not in HARM_TESTS for code in field.data or []):
            raise ValidationError(_("Please tick from the listed tests."))


class SuspensionForm(FlaskForm):
    decision = RadioField(_l("While it is looked into"), choices=choices(SUSPENSION_DECISIONS),
                          validate_choice=False, validators=[
                              InputRequired(_l("Please choose a decision.")),
                              AnyOf(SUSPENSION_DECISIONS, message=_l("Please choose a decision."))])
    reason = TextAreaField(_l("The reason for this decision"), id="suspension_reason",
                           filters=[clean_block], validators=[
        DataRequired(_l("Please give the reason for this decision.")),
        Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])


class CloseAllegationForm(FlaskForm):
    """Closing an allegation: which dates and ticks each outcome needs is
    staff_concerns.close_allegation's rule; the view shows its error beside the field."""

    # Their own ids: the LADO form's and the status form's fields are on the same page.
    outcome = RadioField(_l("The outcome"), id="allegation_outcome", choices=choices(ALLEGATION_OUTCOMES),
                         validate_choice=False,
                         validators=[InputRequired(_l("Please choose the outcome.")),
                                     AnyOf(ALLEGATION_OUTCOMES, message=_l("Please choose the outcome."))])
    note = TextAreaField(_l("What was found, and what happens now"), id="allegation_note",
                         filters=[clean_block], validators=[
        DataRequired(_l("Please write the outcome before closing.")),
        Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])
    pension_age_on = DayField(_l("The date they reach their normal pension age, from their HR record"),
                              validators=[Optional()])
    kept_on_request = BooleanField(_l("They asked in writing for this record to be kept"))
    requested_on = DayField(_l("The date of their written request"), validators=[Optional()])
    removal_confirmed = BooleanField(_l("I understand this record will be removed"))

    def closing(self) -> AllegationClosing:
        return AllegationClosing(
            outcome=self.outcome.data, note=self.note.data, pension_age_on=self.pension_age_on.data,
            kept_on_request=self.kept_on_request.data, requested_on=self.requested_on.data,
            removal_confirmed=self.removal_confirmed.data)


# Low-level concerns and who a concern is about ---------------------------------------------------

class LowLevelEntryForm(FlaskForm):
    """The conversation held with the member of staff, or an action taken, on a low-level
    concern."""

    # Translators: a label before the choice "The conversation held" or "An action taken"
    entry_kind = RadioField(_l("This is"), choices=choices(LOW_LEVEL_ENTRY_KINDS), default="conversation",
                            validate_choice=False, validators=[
                                InputRequired(_l("Please choose the conversation held or an "
                                                 "action taken.")),
                                AnyOf(LOW_LEVEL_ENTRY_KINDS, message=_l(
                                    "Please choose the conversation held or an action taken."))])
    entry_text = TextAreaField(_l("What was said or done"), filters=[clean_block], validators=[
        DataRequired(_l("Please write what was said or done.")),
        Length(max=5000, message=_l("Please keep this under 5,000 characters.")),
        refuse_controls_in_block])


class SubjectLinkForm(FlaskForm):
    """Whom a concern about staff is about: a staff account, a person on the roster, or no one
    (the value is "staff-3", "roster-5" or ""; low_level.link_subject checks it)."""

    subject = StringField(_l("Their staff account or roster entry"), filters=[clean_text], validators=[
        Optional(), Length(max=20, message=DAMAGED)])
