"""Forms: each turns raw input into domain values, with a plain-English message per field."""

from __future__ import annotations

import re
import unicodedata
import uuid

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from .accounts import normalise_email, password_problem
from .models import PolicyVersion, RosterPerson
from .vocabulary import CHANNELS, VISITOR_ROLES

# Bidirectional overrides can make a name display as something other than what was typed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str | None) -> str:
    """Normalise to NFC and fold runs of spaces, so 'Ann  Smith' and 'Ann Smith' are one name."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", value).split(" ")).strip()


def has_control_characters(value: str) -> bool:
    """Control characters (tabs, new lines, NUL, DEL) or direction overrides in one-line text."""
    return any(unicodedata.category(ch) == "Cc" for ch in value) or bool(_BIDI_CONTROLS.search(value))


def refuse_control_characters(form, field) -> None:
    """Refuse control characters and direction overrides in one-line text."""
    if has_control_characters(field.data or ""):
        raise ValidationError("Please use letters, numbers and punctuation only.")


DAMAGED = "This form was damaged; please start again."


def staff_email(value: str | None) -> str:
    """A staff account's email as accounts stores and looks it up."""
    return normalise_email(value or "")


class ClientUUIDField(HiddenField):
    """The UUID made when a form was opened (or on the device, for the outbox): sending the form
    twice records it once. Anything that is not a UUID means the form was tampered with."""

    def pre_validate(self, form) -> None:
        try:
            self.data = uuid.UUID(str(self.data))
        except ValueError:
            raise ValidationError(DAMAGED) from None


class AcceptForm(FlaskForm):
    """The visitor's acceptance: who they are and that they accept the version they read."""

    full_name = StringField(
        "Full name",
        filters=[clean_text],
        validators=[
            DataRequired("Please enter your full name."),
            Length(min=2, max=100, message="Your name must be between 2 and 100 characters."),
            refuse_control_characters,
        ],
    )
    role = RadioField(
        "I am a",
        choices=[SelectChoice(value, label) for value, label in VISITOR_ROLES.items()],
        validators=[InputRequired("Please choose what best describes you."),
                    AnyOf(VISITOR_ROLES, message="Please choose one of the listed options.")],
        validate_choice=False,  # AnyOf's message is plainer than wtforms' own
    )
    organisation = StringField(
        "Organisation or company (optional)",
        filters=[clean_text],
        validators=[Optional(), Length(max=100, message="Please keep this under 100 characters."),
                    refuse_control_characters],
    )
    reason = StringField(
        "Reason for your visit (optional)",
        filters=[clean_text],
        validators=[Optional(), Length(max=200, message="Please keep this under 200 characters."),
                    refuse_control_characters],
    )
    accept = BooleanField(
        "I have read and accept the policy",
        validators=[InputRequired("Please tick to show you have read and accept the policy.")],
    )
    client_uuid = ClientUUIDField()
    policy_version = HiddenField()
    channel = HiddenField(validators=[AnyOf(CHANNELS, message=DAMAGED)])
    roster_token = HiddenField()  # from a personal link

    version: PolicyVersion | None = None  # set from policy_version once validated
    roster_person: RosterPerson | None = None  # set from roster_token once validated

    def validate_roster_token(self, field) -> None:
        if not field.data:
            if self.channel.data == "link":
                raise ValidationError(DAMAGED)
            return
        self.roster_person = RosterPerson.with_link(field.data)
        if self.roster_person is None:
            raise ValidationError("This personal link is no longer in use. Please ask the school "
                                  "for a new one, or use the kiosk.")

    def validate_accept(self, field) -> None:
        if not field.data:
            raise ValidationError("Please tick to show you have read and accept the policy.")

    def validate_policy_version(self, field) -> None:
        version = None
        if re.fullmatch(r"[0-9]{1,9}", str(field.data or "")):
            version = PolicyVersion.get_or_none(PolicyVersion.number == int(field.data))
        if version is None:
            raise ValidationError(DAMAGED)
        self.version = version

class SignInForm(FlaskForm):
    """Email and password. No 'remember me': the iPads are shared."""

    email = StringField("Email address", filters=[lambda v: (v or "").strip()],
                        validators=[DataRequired("Please enter your email address."),
                                    Length(max=254, message="That email address is too long.")])
    password = PasswordField("Password", validators=[
        DataRequired("Please enter your password."),
        Length(max=256, message="That password is too long.")])


def _new_password_rules(form, field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class NewPasswordForm(FlaskForm):
    """Choose a password: at least 8 characters, not a common one; no other rules."""

    password = PasswordField("New password", validators=[
        DataRequired("Please choose a password."), _new_password_rules])
    confirm = PasswordField("Type it again", validators=[
        DataRequired("Please type the password again."),
        EqualTo("password", message="The two passwords are not the same.")])


class ChangePasswordForm(NewPasswordForm):
    """A signed-in person changing their own password must know the current one."""

    current_password = PasswordField("Current password", validators=[
        DataRequired("Please enter your current password."),
        Length(max=256, message="That password is too long.")])


class SetupForm(NewPasswordForm):
    """The headteacher's first account, made once with the token from the server's console."""

    token = HiddenField()
    display_name = StringField("Your name", filters=[clean_text], validators=[
        DataRequired("Please enter your name."),
        Length(min=2, max=100, message="Your name must be between 2 and 100 characters."),
        refuse_control_characters])
    email = StringField("Email address", filters=[staff_email],
                        validators=[DataRequired("Please enter your email address."),
                                    Length(max=254, message="That email address is too long."),
                                    Email("Please enter an email address like name@school.org.")])
