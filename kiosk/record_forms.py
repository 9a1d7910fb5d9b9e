"""Forms for staff and leads: logging a breach, deletion requests, triage, LADO, accounts."""

from __future__ import annotations

import datetime as dt
import uuid

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from . import policies, school
from .accounts import HEAD_MANAGED_ROLES
from .breaches import BreachDetails, LadoDetails
from .config import ConfigError, parse_public_url
from .deletions import DeletionDetails
from .display import school_zone, to_local
from .forms import DAMAGED, ClientUUIDField, clean_text, refuse_control_characters, staff_email
from .models import Acceptance, BreachCategory, as_stored, utcnow
from .retention import MAX_DAYS, MIN_DAYS
from .vocabulary import (
    BREACH_ACTIONS,
    BREACH_STATUSES,
    LOCATIONS,
    MATERIALS,
    OUTCOMES,
    ROSTER_ROLES,
    SUBJECT_KINDS,
)

MAX_CSV_BYTES = 1024 * 1024
EARLIEST, LATEST = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)
LONGEST_DEADLINE = dt.timedelta(days=30)


def choices(mapping: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in mapping.items()]


def clean_block(value: str | None) -> str:
    """Multi-line text: keep the lines, drop trailing spaces and NULs and other controls."""
    if value is None:
        return ""
    lines = (line.rstrip() for line in value.replace("\r\n", "\n").split("\n"))
    return "\n".join(lines).strip()


def refuse_controls_in_block(form, field) -> None:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in field.data or ""):
        raise ValidationError("Please use letters, numbers and punctuation only.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the school's time zone, stored in UTC; not in the future."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, format="%Y-%m-%dT%H:%M", **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            self.data = None
            raise ValueError("Please give a date between 2000 and 2100.")
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
        raise ValidationError("That time is in the future.")


def acceptance_from(field) -> Acceptance | None:
    """The acceptance a hidden field names by its UUID (none if empty); a bad value is refused."""
    if not field.data:
        return None
    try:
        key = uuid.UUID(field.data)
    except ValueError:
        raise ValidationError(DAMAGED) from None
    row = Acceptance.get_or_none(Acceptance.client_uuid == key)
    if row is None:
        raise ValidationError(DAMAGED)
    return row


class UUIDForm(FlaskForm):
    """A form carrying the UUID made when it was opened, so sending it twice records it once."""

    client_uuid = ClientUUIDField()


class BreachForm(UUIDForm):
    """The details step of logging a breach; who and what come from the earlier taps."""

    subject_kind = HiddenField(validators=[AnyOf(SUBJECT_KINDS, message=DAMAGED)])
    category = HiddenField()
    acceptance = HiddenField()
    asked_to_delete = HiddenField()  # the quick-save button's value
    subject_name = StringField("Their name, if known (optional)", filters=[clean_text], validators=[
        Optional(), Length(max=100, message="Please keep the name under 100 characters."),
        refuse_control_characters])
    location = StringField("Where (optional)", filters=[clean_text], validators=[
        Optional(), Length(max=200, message="Please keep this under 200 characters."),
        refuse_control_characters])
    occurred_at = LocalDateTimeField("When", validators=[
        InputRequired("Please give the date and time."), not_in_the_future])
    description = TextAreaField("What happened (optional)", filters=[clean_block], validators=[
        Optional(), Length(max=5000, message="Please keep this under 5,000 characters."),
        refuse_controls_in_block])
    actions = MultiCheckboxField("Actions already taken (optional)", choices=choices(BREACH_ACTIONS),
                                 validate_choice=False)
    safeguarding = BooleanField("This is a safeguarding matter: tell the DSL")
    concerns_head = BooleanField("This concern is about the headteacher (only the chair of "
                                 "governors will see it)")

    category_row: BreachCategory | None = None
    acceptance_row: Acceptance | None = None

    def validate_category(self, field) -> None:
        self.category_row = BreachCategory.in_use().where(BreachCategory.slug == field.data).first()
        if self.category_row is None:
            raise ValidationError("That kind of breach is not in use any more; please log it "
                                  "again and choose another.")

    def validate_acceptance(self, field) -> None:
        self.acceptance_row = acceptance_from(field)

    def validate_actions(self, field) -> None:
        if any(code not in BREACH_ACTIONS for code in field.data or []):
            raise ValidationError("Please choose from the listed actions.")

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
            flag_safeguarding=self.safeguarding.data, concerns_head=self.concerns_head.data)


class DeletionRequestForm(UUIDForm):
    """Someone was asked to delete material."""

    breach = HiddenField()
    material = RadioField("What material", choices=choices(MATERIALS), validate_choice=False,
                          validators=[InputRequired("Please choose what material."),
                                      AnyOf(MATERIALS, message="Please choose what material.")])
    material_location = RadioField("Where is it", choices=choices(LOCATIONS), validate_choice=False,
                                   validators=[InputRequired("Please choose where it is."),
                                               AnyOf(LOCATIONS, message="Please choose where it is.")])
    # No Optional() on these two: their checks below depend on the other fields.
    link = URLField("Link to it online", filters=[lambda v: (v or "").strip()], validators=[
        Length(max=500, message="Please keep the link under 500 characters.")])
    person_name = StringField("Who was asked", filters=[clean_text], validators=[
        Length(max=100, message="Please keep the name under 100 characters."),
        refuse_control_characters])
    acceptance = HiddenField()
    asked_at = LocalDateTimeField("When were they asked", validators=[
        InputRequired("Please give the date and time."), not_in_the_future])
    due_by = LocalDateTimeField("Deleted by (optional: at once for a device, 24 hours online)",
                                validators=[Optional()])

    acceptance_row: Acceptance | None = None

    def validate_link(self, field) -> None:
        if self.material_location.data == "online" and not field.data:
            raise ValidationError("Please give the link, so someone can check it has gone.")
        if field.data and not field.data.startswith(("https://", "http://")):
            raise ValidationError("Please give a link starting https://")

    def validate_person_name(self, field) -> None:
        if not field.data and not self.acceptance.data:
            raise ValidationError("Please give the name of the person asked.")

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
        if field.data and self.asked_at.data and field.data < self.asked_at.data:
            raise ValidationError("The deadline must be after the time they were asked.")
        if field.data and self.asked_at.data and field.data > self.asked_at.data + LONGEST_DEADLINE:
            raise ValidationError("The deadline must be within 30 days of asking.")


class OutcomeForm(FlaskForm):
    outcome = RadioField("What happened", validate_choice=False,
                         choices=[SelectChoice(k, v) for k, v in OUTCOMES.items() if k != "pending"],
                         validators=[InputRequired("Please choose what happened.")])
    note = TextAreaField("Notes (optional)", filters=[clean_block], validators=[
        Optional(), Length(max=2000, message="Please keep this under 2,000 characters."),
        refuse_controls_in_block])
    # Which outcomes can be recorded, and when, is deletions.record_outcome's rule; the view shows
    # its OutcomeError beside this field.


class StatusForm(FlaskForm):
    status = RadioField("Status", choices=choices(BREACH_STATUSES), validate_choice=False,
                        validators=[InputRequired("Please choose a status."),
                                    AnyOf(BREACH_STATUSES, message="Please choose a status.")])
    note = TextAreaField("Outcome or reason (needed to close)", filters=[clean_block], validators=[
        Optional(), Length(max=5000, message="Please keep this under 5,000 characters."),
        refuse_controls_in_block])

    def validate_note(self, field) -> None:
        if self.status.data == "closed" and not field.data:
            raise ValidationError("Please write the outcome before closing.")


class NoteForm(FlaskForm):
    kind = RadioField("This is", choices=choices({"note": "A note", "action": "An action taken"}),
                      default="note", validate_choice=False,
                      validators=[InputRequired("Please choose a note or an action.")])
    text = TextAreaField("Text", filters=[clean_block], validators=[
        DataRequired("Please write the note."),
        Length(max=5000, message="Please keep this under 5,000 characters."),
        refuse_controls_in_block])
    # Which kinds there are is breaches.add_note's rule; the view shows its TriageError here.


class LadoForm(FlaskForm):
    referred_at = LocalDateTimeField("Referred to the LADO on (leave empty if not yet)",
                                     validators=[Optional(), not_in_the_future])
    reference = StringField("LADO reference (optional)", filters=[clean_text], validators=[
        Optional(), Length(max=100, message="Please keep this under 100 characters."),
        refuse_control_characters])
    advice = TextAreaField("Advice given (optional)", filters=[clean_block], validators=[
        Optional(), Length(max=5000, message="Please keep this under 5,000 characters."),
        refuse_controls_in_block])
    police_involved = BooleanField("The police are involved")
    outcome = TextAreaField("Outcome (optional)", filters=[clean_block], validators=[
        Optional(), Length(max=5000, message="Please keep this under 5,000 characters."),
        refuse_controls_in_block])

    def details(self) -> LadoDetails:
        return LadoDetails(referred_at=self.referred_at.data, reference=self.reference.data,
                           advice=self.advice.data, police_involved=self.police_involved.data,
                           outcome=self.outcome.data)


class StaffAccountForm(FlaskForm):
    display_name = StringField("Name", filters=[clean_text], validators=[
        DataRequired("Please enter their name."),
        Length(min=2, max=100, message="The name must be between 2 and 100 characters."),
        refuse_control_characters])
    email = StringField("Email address", filters=[staff_email], validators=[
        DataRequired("Please enter their email address."),
        Length(max=254, message="That email address is too long."),
        Email("Please enter an email address like name@school.org.")])
    # The chair's account is made on the server (create-user): it guards concerns about the
    # head, so the head cannot create, reset or deactivate it here.
    role = RadioField("Role", choices=choices(HEAD_MANAGED_ROLES), default="staff",
                      validate_choice=False, validators=[
                          InputRequired("Please choose a role."),
                          AnyOf(HEAD_MANAGED_ROLES, message="Please choose a role.")])


class CategoryForm(FlaskForm):
    label = StringField("Name", filters=[clean_text], validators=[
        DataRequired("Please enter a name."),
        Length(min=3, max=200, message="The name must be between 3 and 200 characters."),
        refuse_control_characters])
    safeguarding = BooleanField("A safeguarding matter: tell the DSL")
    restricted = BooleanField("A concern about a member of staff: headteacher only")
    material = RadioField("Material they may be asked to delete",
                          choices=[SelectChoice("", "None"), *choices(MATERIALS)], default="",
                          validate_choice=False,
                          validators=[AnyOf(["", *MATERIALS], message="Please choose from the list.")])
    active = BooleanField("In use", default=True)




class PolicyDraftForm(FlaskForm):
    """The head's next version of the policy."""

    title = StringField("Title", filters=[clean_text], validators=[
        DataRequired("Please give the policy a title."),
        Length(max=200, message="Please keep the title under 200 characters."),
        refuse_control_characters])
    body = TextAreaField("Text (Markdown: ## for a heading, a blank line between paragraphs)",
                         filters=[clean_block], validators=[
                             DataRequired("Please write the policy."),
                             Length(max=100_000, message="Please keep the policy under 100,000 "
                                                         "characters."),
                             refuse_controls_in_block])
    key_points = TextAreaField(
        "Key points for visitors: what this means for them today (3 to 6, one per line)",
        filters=[clean_block], validators=[
            DataRequired("Please write the key points visitors read first, one per line."),
            Length(max=2000, message="Please keep the key points under 2,000 characters."),
            refuse_controls_in_block])
    review_due = DateField("Review due", validators=[Optional()])

    def validate_key_points(self, field) -> None:
        problem = policies.key_points_problem(policies.clean_key_points(field.data or ""))
        if problem:
            raise ValidationError(problem)

    def validate_review_due(self, field) -> None:
        if field.data and not dt.date(2000, 1, 1) <= field.data <= dt.date(2100, 1, 1):
            raise ValidationError("Please give a date between 2000 and 2100.")


class SchoolSetupForm(FlaskForm):
    """The school's first day: what visitors see, and where phones find the kiosk."""

    school_name = StringField("School name", filters=[clean_text], validators=[
        DataRequired("Please enter the school's name."),
        Length(max=200, message="Please keep the name under 200 characters."),
        refuse_control_characters])
    logo = FileField("School logo (optional: a picture under 5 MB)",
                     render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"})
    remove_logo = BooleanField("Remove the logo")
    dsl_name = StringField("Designated Safeguarding Lead's name", filters=[clean_text], validators=[
        DataRequired("Please enter the name of your Designated Safeguarding Lead."),
        Length(max=100, message="Please keep the name under 100 characters."),
        refuse_control_characters])
    dsl_photo = FileField("Their photo (optional: a picture under 5 MB)",
                          render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"})
    remove_dsl_photo = BooleanField("Remove the photo")
    public_url = URLField("The kiosk's public address", filters=[lambda v: (v or "").strip()],
                          validators=[Length(max=300, message="That address is too long.")])
    review_due = DateField("When the policy is next due for review", validators=[
        InputRequired("Please give the date the policy is next due for review.")])
    thanks_next_step = StringField("What visitors do next (shown after they accept)",
                                   filters=[clean_text], validators=[
                                       Length(max=200, message="Please keep this under 200 "
                                                               "characters."),
                                       refuse_control_characters])
    privacy_contact = TextAreaField(
        "Who to contact about personal information (shown in the privacy notice)",
        filters=[clean_block], validators=[
            Length(max=1000, message="Please keep this under 1,000 characters."),
            refuse_controls_in_block])

    logo_image: school.ProcessedImage | None = None  # set once the upload is checked
    dsl_photo_image: school.ProcessedImage | None = None

    def validate_public_url(self, field) -> None:
        if not field.data:
            return
        try:
            field.data = parse_public_url("address", field.data)
        except ConfigError:
            raise ValidationError("Please enter the full address phones open, starting https:// "
                                  "(for example https://kiosk.westacre.sch.uk).") from None

    saved_review_due: dt.date | None = None  # the date set now: saving it again is no change

    def validate_review_due(self, field) -> None:
        if field.data and field.data == self.saved_review_due:
            return  # changing the logo must not mean moving a review that is overdue
        if field.data and not utcnow().date() <= field.data <= dt.date(2100, 1, 1):
            raise ValidationError("Please give a date from today onwards: a date already past "
                                  "shows the policy as overdue for review.")

    def validate_logo(self, field) -> None:
        self.logo_image = self._picture(field, "logo")

    def validate_dsl_photo(self, field) -> None:
        self.dsl_photo_image = self._picture(field, "dsl_photo")

    @staticmethod
    def _picture(field, kind: str) -> school.ProcessedImage | None:
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            return None  # nothing chosen: keep the picture there is
        try:
            return school.process_image(upload.read(school.MAX_UPLOAD_BYTES + 1), kind)
        except school.ImageProblem as problem:
            raise ValidationError(str(problem)) from None


class RosterPersonForm(FlaskForm):
    full_name = StringField("Full name", filters=[clean_text], validators=[
        DataRequired("Please enter their name."),
        Length(min=2, max=100, message="The name must be between 2 and 100 characters."),
        refuse_control_characters])
    email = StringField("Email address", filters=[lambda v: (v or "").strip()], validators=[
        DataRequired("Please enter their email address."),
        Length(max=254, message="That email address is too long."),
        Email("Please enter an email address like name@example.org.")])
    role = RadioField("Role", choices=choices(ROSTER_ROLES), validate_choice=False,
                      validators=[InputRequired("Please choose a role."),
                                  AnyOf(ROSTER_ROLES, message="Please choose a role.")])


class RosterImportForm(FlaskForm):
    """A CSV file with the columns name, email, role; shown as a preview before it is applied."""

    file = FileField("CSV file (columns: name, email, role)")
    csv_text = HiddenField()  # carried from the preview to the confirmation

    def csv_content(self) -> str | None:
        """The uploaded file's text, or the text carried from the preview."""
        upload = self.file.data
        if upload and getattr(upload, "filename", ""):
            raw = upload.read(MAX_CSV_BYTES + 1)
            if len(raw) > MAX_CSV_BYTES:
                self.file.errors.append("The file is too large (at most 1 MB).")
                return None
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.file.errors.append("Please save the file as CSV UTF-8.")
                return None
        if self.csv_text.data:
            return self.csv_text.data
        self.file.errors.append("Please choose a CSV file.")
        return None


def _retention_days(form, field) -> None:
    if field.data is None or not MIN_DAYS <= field.data <= MAX_DAYS:
        raise ValidationError(f"Please give a number of days between {MIN_DAYS} and {MAX_DAYS}.")


class RetentionForm(FlaskForm):
    """Days to keep each kind of personal data."""

    visitor_acceptances = IntegerField(validators=[_retention_days])
    roster_acceptances = IntegerField(validators=[_retention_days])
    breaches = IntegerField(validators=[_retention_days])
    deletion_requests = IntegerField(validators=[_retention_days])
