"""Signing in, setting a password and the first account's set-up."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from ..accounts import password_problem
from ..text import clean_text
from .fields import refuse_control_characters, staff_email


class SignInForm(FlaskForm):
    """Email and password. No 'remember me': the iPads are shared."""

    email = StringField(_l("Email address"), filters=[lambda v: (v or "").strip()],
                        validators=[DataRequired(_l("Please enter your email address.")),
                                    Length(max=254, message=_l("That email address is too long."))])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Please enter your password.")),
        Length(max=256, message=_l("That password is too long."))])


def _new_password_rules(form, field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class NewPasswordForm(FlaskForm):
    """Choose a password: at least 8 characters, not a common one; no other rules."""

    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Please choose a password.")), _new_password_rules])
    confirm = PasswordField(_l("Type it again"), validators=[
        DataRequired(_l("Please type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])


class ChangePasswordForm(NewPasswordForm):
    """A signed-in person changing their own password must know the current one."""

    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Please enter your current password.")),
        Length(max=256, message=_l("That password is too long."))])


class SetupForm(NewPasswordForm):
    """The headteacher's first account, made once with the token from the server's console."""

    token = HiddenField()
    display_name = StringField(_l("Your name"), filters=[clean_text], validators=[
        DataRequired(_l("Please enter your name.")),
        Length(min=2, max=100, message=_l("Your name must be between 2 and 100 characters.")),
        refuse_control_characters])
    email = StringField(_l("Email address"), filters=[staff_email],
                        validators=[DataRequired(_l("Please enter your email address.")),
                                    Length(max=254, message=_l("That email address is too long.")),
                                    Email(_l("Please enter an email address like name@school.org."))])


class SecondStepForm(FlaskForm):
    """The 6-digit code from the authenticator app, or a recovery code. Whether it is right is
    the second factor's to say (second_factor.check)."""

    code = StringField(_l("Code"), filters=[lambda v: (v or "").strip()], validators=[
        DataRequired(_l("Enter the 6-digit code from your authenticator app, or a recovery code.")),
        Length(max=40, message=_l("That is too long to be a code.")), refuse_control_characters])


class SetupCodeForm(FlaskForm):
    """The first code from the app, which confirms that it holds the secret."""

    code = StringField(_l("The 6-digit code the app shows"), filters=[lambda v: (v or "").strip()],
                       validators=[DataRequired(_l("Enter the 6-digit code the app shows.")),
                                   Length(max=40, message=_l("That is too long to be a code.")),
                                   refuse_control_characters])
