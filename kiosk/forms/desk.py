"""The head's desk: staff accounts, breach categories, the policy, set-up, the roster, retention,
and the filters of the audit log."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, InputRequired, Length, Optional, ValidationError

from .. import policies, retention, school
from ..accounts import HEAD_MANAGED_ROLES
from ..audit_log import NOBODY, LogFilters
from ..config import ConfigError, host_trusted, parse_public_url
from ..models import StaffUser, utcnow
from ..text import clean_block, clean_text
from ..vocabulary import LOW_LEVEL_LEADS, MATERIALS, POLICY_CHANGES, ROSTER_ROLES
from .fields import choices, refuse_control_characters, refuse_controls_in_block, staff_email

MAX_CSV_BYTES = 1024 * 1024


class StaffAccountForm(FlaskForm):
    display_name = StringField(_l("Name"), filters=[clean_text], validators=[
        DataRequired(_l("Please enter their name.")),
        Length(min=2, max=100, message=_l("The name must be between 2 and 100 characters.")),
        refuse_control_characters])
    email = StringField(_l("Email address"), filters=[staff_email], validators=[
        DataRequired(_l("Please enter their email address.")),
        Length(max=254, message=_l("That email address is too long.")),
        Email(_l("Please enter an email address like name@school.org."))])
    # The chair's account is made on the server (create-user): it guards concerns about the
    # head, so the head cannot create, reset or deactivate it here.
    role = RadioField(_l("Role"), choices=choices(HEAD_MANAGED_ROLES), default="staff",
                      validate_choice=False, validators=[
                          InputRequired(_l("Please choose a role.")),
                          AnyOf(HEAD_MANAGED_ROLES, message=_l("Please choose a role."))])


class CategoryForm(FlaskForm):
    label = StringField(_l("Name"), filters=[clean_text], validators=[
        DataRequired(_l("Please enter a name.")),
        Length(min=3, max=200, message=_l("The name must be between 3 and 200 characters.")),
        refuse_control_characters])
    safeguarding = BooleanField(_l("A safeguarding matter: tell the DSL"))
    restricted = BooleanField(_l("A concern about a member of staff: headteacher only"))
    material = RadioField(_l("Material they may be asked to delete"),
                          choices=[
                              # Translators: no material, the first choice of "Material they
                              # may be asked to delete"
                              SelectChoice("", _l("None")), *choices(MATERIALS)], default="",
                          validate_choice=False,
                          validators=[AnyOf(["", *MATERIALS],
                                            message=_l("Please choose from the list."))])
    # Translators: a breach category staff can still choose
    active = BooleanField(_l("In use"), default=True)




class PolicyDraftForm(FlaskForm):
    """The head's next version of the policy."""

    title = StringField(_l("Title"), filters=[clean_text], validators=[
        DataRequired(_l("Please give the policy a title.")),
        Length(max=200, message=_l("Please keep the title under 200 characters.")),
        refuse_control_characters])
    body = TextAreaField(_l("Text of the policy"), filters=[clean_block], validators=[
        DataRequired(_l("Please write the policy.")),
        Length(max=100_000, message=_l("Please keep the policy under 100,000 characters.")),
        refuse_controls_in_block])
    key_points = TextAreaField(
        _l("Key points for visitors: what this means for them today (3 to 6, one per line)"),
        filters=[clean_block], validators=[
            DataRequired(_l("Please write the key points visitors read first, one per line.")),
            Length(max=2000, message=_l("Please keep the key points under 2,000 characters.")),
            refuse_controls_in_block])
    review_due = DateField(_l("Review due"), validators=[Optional()])

    def validate_key_points(self, field) -> None:
        problem = policies.key_points_problem(policies.clean_key_points(field.data or ""))
        if problem:
            raise ValidationError(problem)

    def validate_review_due(self, field) -> None:
        if field.data and not dt.date(2000, 1, 1) <= field.data <= dt.date(2100, 1, 1):
            raise ValidationError(_("Please give a date between 2000 and 2100."))


class PolicyPublishForm(FlaskForm):
    """The head confirms publishing the draft, and says whether it is a minor change."""

    change = RadioField(_l("What kind of change is this?"), choices=choices(POLICY_CHANGES),
                        validate_choice=False, validators=[
                            InputRequired(_l("Please choose what kind of change this is.")),
                            AnyOf(POLICY_CHANGES,
                                  message=_l("Please choose what kind of change this is."))])
    # What the head was shown: the draft and the version it follows (PublishPlan.confirms).
    confirms = HiddenField(validators=[InputRequired(_l("Please confirm again: the page was "
                                                        "incomplete.")), Length(max=200)])


class SchoolSetupForm(FlaskForm):
    """The school's first day: what visitors see, and where phones find the kiosk."""

    school_name = StringField(_l("School name"), filters=[clean_text], validators=[
        DataRequired(_l("Please enter the school's name.")),
        Length(max=200, message=_l("Please keep the name under 200 characters.")),
        refuse_control_characters])
    logo = FileField(_l("School logo (optional: a picture under 5 MB)"),
                     render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"})
    remove_logo = BooleanField(_l("Remove the logo"))
    dsl_name = StringField(_l("Designated Safeguarding Lead's name"), filters=[clean_text], validators=[
        DataRequired(_l("Please enter the name of your Designated Safeguarding Lead.")),
        Length(max=100, message=_l("Please keep the name under 100 characters.")),
        refuse_control_characters])
    dsl_photo = FileField(_l("Their photo (optional: a picture under 5 MB)"),
                          render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"})
    remove_dsl_photo = BooleanField(_l("Remove the photo"))
    public_url = URLField(_l("The kiosk's public address"), filters=[lambda v: (v or "").strip()],
                          validators=[Length(max=300, message=_l("That address is too long."))])
    review_due = DateField(_l("When the policy is next due for review"), validators=[
        InputRequired(_l("Please give the date the policy is next due for review."))])
    thanks_next_step = StringField(_l("What visitors do next (shown after they accept)"),
                                   filters=[clean_text], validators=[
                                       Length(max=200, message=_l("Please keep this under 200 "
                                                                  "characters.")),
                                       refuse_control_characters])
    privacy_contact = TextAreaField(
        _l("Who to contact about personal information (shown in the privacy notice)"),
        filters=[clean_block], validators=[
            Length(max=1000, message=_l("Please keep this under 1,000 characters.")),
            refuse_controls_in_block])

    logo_image: school.ProcessedImage | None = None  # set once the upload is checked
    dsl_photo_image: school.ProcessedImage | None = None

    def validate_public_url(self, field) -> None:
        if not field.data:
            return
        try:
            field.data = parse_public_url("address", field.data)
        except ConfigError:
            raise ValidationError(_("Please enter the full address phones open, starting https:// "
                                    "(for example https://kiosk.westacre.sch.uk).")) from None
        if not host_trusted(current_app.config, urlsplit(field.data).hostname or ""):
            # The server refuses requests for hosts it was not told of (TRUSTED_HOSTS).
            raise ValidationError(_("The kiosk's server does not answer at that address, so phones "
                                    "could not open it. Ask your IT support to add it to the "
                                    "server first."))

    saved_review_due: dt.date | None = None  # the date set now: saving it again is no change

    def validate_review_due(self, field) -> None:
        if field.data and field.data == self.saved_review_due:
            return  # changing the logo must not mean moving a review that is overdue
        if field.data and not utcnow().date() <= field.data <= dt.date(2100, 1, 1):
            raise ValidationError(_("Please give a date from today onwards: a date already past "
                                    "shows the policy as overdue for review."))

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
    full_name = StringField(_l("Full name"), filters=[clean_text], validators=[
        DataRequired(_l("Please enter their name.")),
        Length(min=2, max=100, message=_l("The name must be between 2 and 100 characters.")),
        refuse_control_characters])
    email = StringField(_l("Email address"), filters=[lambda v: (v or "").strip()], validators=[
        DataRequired(_l("Please enter their email address.")),
        Length(max=254, message=_l("That email address is too long.")),
        Email(_l("Please enter an email address like name@example.org."))])
    role = RadioField(_l("Role"), choices=choices(ROSTER_ROLES), validate_choice=False,
                      validators=[InputRequired(_l("Please choose a role.")),
                                  AnyOf(ROSTER_ROLES, message=_l("Please choose a role."))])


class RosterImportForm(FlaskForm):
    """A CSV file with the columns name, email, role; shown as a preview before it is applied."""

    # Translators: name, email and role are the column names, as written in the file
    file = FileField(_l("CSV file (columns: name, email, role)"))
    csv_text = HiddenField()  # carried from the preview to the confirmation

    def csv_content(self) -> str | None:
        """The uploaded file's text, or the text carried from the preview."""
        upload = self.file.data
        if upload and getattr(upload, "filename", ""):
            raw = upload.read(MAX_CSV_BYTES + 1)
            if len(raw) > MAX_CSV_BYTES:
                self.file.errors.append(_("The file is too large (at most 1 MB)."))
                return None
            try:
                return raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.file.errors.append(_("Please save the file as CSV UTF-8."))
                return None
        if self.csv_text.data:
            return self.csv_text.data
        self.file.errors.append(_("Please choose a CSV file."))
        return None


class PeriodPartField(IntegerField):
    """The years or the months of a period: a whole number, and blank for none."""

    def __init__(self, label: str, not_whole: str, **kwargs) -> None:
        super().__init__(label, **kwargs)
        self.not_whole = not_whole  # what to say when it is not a whole number

    def process_formdata(self, valuelist) -> None:
        raw = valuelist[0].strip() if valuelist else ""
        if not raw:
            self.data = 0
        elif raw.isascii() and raw.isdigit() and len(raw) <= 3:
            self.data = int(raw)
        else:
            self.data = None
            raise ValueError(str(self.not_whole))


def _years() -> PeriodPartField:
    return PeriodPartField(_l("Years"), _l("Please give the years as a whole number, like 2."))


def _months() -> PeriodPartField:
    return PeriodPartField(_l("Months"), _l("Please give the months as a whole number, like 6."))


class RetentionForm(FlaskForm):
    """How long to keep each kind of personal data, in years and months. Stored in days: the
    conversion happens here, at the form's edge."""

    visitor_acceptances_years = _years()
    visitor_acceptances_months = _months()
    roster_acceptances_years = _years()
    roster_acceptances_months = _months()
    breaches_years = _years()
    breaches_months = _months()
    deletion_requests_years = _years()
    deletion_requests_months = _months()
    ended_declarations_years = _years()
    ended_declarations_months = _months()
    permission_requests_years = _years()
    permission_requests_months = _months()

    saved: dict[str, int]  # the days each kind is kept now

    @classmethod
    def showing(cls, saved: dict[str, int]) -> RetentionForm:
        """The form filled in with the periods set now."""
        data = {}
        for kind, days in saved.items():
            data[f"{kind}_years"], data[f"{kind}_months"] = divmod(retention.months_in(days), 12)
        form = cls(data=data)
        form.saved = saved
        return form

    def parts(self, kind: str) -> tuple[PeriodPartField, PeriodPartField]:
        return self[f"{kind}_years"], self[f"{kind}_months"]

    def _months_for(self, kind: str) -> int:
        years, months = self.parts(kind)
        return years.data * 12 + months.data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for kind in retention.KINDS:
            years, months = self.parts(kind)
            if years.errors or months.errors:
                continue
            if not retention.MIN_DAYS <= retention.days_in(self._months_for(kind)) <= retention.MAX_DAYS:
                years.errors.append(
                    _("Please give a period between %(shortest)s and %(longest)s.",
                      shortest=retention.in_words(retention.MIN_DAYS),
                      longest=retention.in_words(retention.MAX_DAYS)))
                valid = False
        return valid

    def chosen_days(self) -> dict[str, int]:
        """The days to keep each kind. A period left as shown keeps the days set now, even when
        they are not a whole number of months (set before periods were chosen in months)."""
        chosen = {}
        for kind in retention.KINDS:
            months = self._months_for(kind)
            saved = self.saved.get(kind)
            unchanged = saved is not None and retention.months_in(saved) == months
            chosen[kind] = saved if unchanged else retention.days_in(months)
        return chosen

    def kept_now(self, kind: str) -> str | None:
        """The period set now in words, when the years and months shown only round it."""
        saved = self.saved.get(kind)
        return retention.in_words(saved) if saved and not retention.in_months(saved) else None


# The audit log's filters -----------------------------------------------------------------------

class DayField(DateField):
    """A day at the school: as a date picker sends it (2026-03-03), or typed as 3/3/2026."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, format=["%Y-%m-%d", "%d/%m/%Y"],
                         invalid_value_message=_l("Please enter a date, for example 3/3/2026."),
                         **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not 2000 <= self.data.year <= 2100:
            self.data = None
            raise ValueError(_("Please give a date between 2000 and 2100."))


class RecordField(HiddenField):
    """The record the log is narrowed to, from the "Who has viewed this" link on its page."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if raw:
            try:
                self.data = uuid.UUID(raw)
            except ValueError:
                raise ValueError(_("That record could not be found. Show the whole log "
                                   "instead, or open the log from the record's own page.")) from None


class AuditFilterForm(FlaskForm):
    """Narrowing the audit log: who did it, which days, and which record. It is sent in the
    page's address (a search, changing nothing), so it carries no CSRF token."""

    class Meta:
        csrf = False

    who = SelectField(_l("Who did it"), validate_choice=False, default="")
    # Translators: the first day of the days the audit log shows
    start = DayField(_l("From"), validators=[Optional()])
    # Translators: the last day of the days the audit log shows
    end = DayField(_l("To"), validators=[Optional()])
    breach = RecordField()
    deletion = RecordField()

    def __init__(self, formdata, people: list[StaffUser]):
        super().__init__(formdata)
        self.who.choices = [
            SelectChoice("", _("Anyone")),
            SelectChoice(NOBODY, _("No one signed in (visitors, sign-in attempts, the server)")),
            *(SelectChoice(str(p.id), p.display_name if p.active else
                           _("%(name)s (no longer active)", name=p.display_name))
              for p in people)]

    def validate_who(self, field) -> None:
        if (field.data or "") not in {choice.value for choice in field.choices}:
            raise ValidationError(_("Please choose someone from the list."))

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_("The ‘To’ date must be on or after the ‘From’ date."))

    def filters(self) -> LogFilters:
        return LogFilters(who=self.who.data or "", breach=self.breach.data,
                          deletion=None if self.breach.data else self.deletion.data,
                          start=self.start.data, end=self.end.data)


# Low-level concerns: the school's choices, and the day someone left --------------------------------

class LowLevelSettingsForm(FlaskForm):
    """Who leads on low-level concerns about staff, and how many in twelve months flag a
    pattern."""

    lead = RadioField(_l("Who leads on low-level concerns with you"),
                      choices=choices(LOW_LEVEL_LEADS), validate_choice=False, validators=[
                          InputRequired(_l("Please choose who leads on low-level concerns.")),
                          AnyOf(LOW_LEVEL_LEADS,
                                message=_l("Please choose who leads on low-level concerns."))])
    threshold = StringField(_l("How many low-level concerns about one person in 12 months should "
                               "be flagged as a pattern"), filters=[clean_text])

    def validate_threshold(self, field) -> None:
        text = (field.data or "").strip()
        if not text:
            raise ValidationError(_("Please give a number from 1 to 20."))
        if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 20:  # not "²"
            raise ValidationError(_("Please give a whole number from 1 to 20, for example 3."))
        field.data = str(int(text))


class LeftOnForm(FlaskForm):
    """The day someone left the school's employment (empty: they have not left). Each row of a
    list has its own, told apart by its prefix."""

    left_on = DayField(_l("Left the school on"), validators=[Optional()])

