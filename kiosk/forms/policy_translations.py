"""The head's translation of the current policy version (kiosk/policy_translations.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from .. import policies
from ..models import PolicyVersion
from ..text import clean_block, clean_text
from .fields import refuse_control_characters, refuse_controls_in_block


class PolicyTranslationForm(FlaskForm):
    """A translation of one version: its title, key points and text, and whether English applies."""

    title = StringField(_l("Title, translated"), filters=[clean_text], validators=[
        DataRequired(_l("Please give the translated title.")),
        Length(max=200, message=_l("Please keep the title under 200 characters.")),
        refuse_control_characters])
    key_points = TextAreaField(
        _l("Key points, translated (one per line, in the same order as the English)"),
        filters=[clean_block], validators=[
            Length(max=2000, message=_l("Please keep the key points under 2,000 characters.")),
            refuse_controls_in_block])
    body = TextAreaField(_l("Text of the policy, translated"), filters=[clean_block], validators=[
        DataRequired(_l("Please paste or write the translated text.")),
        Length(max=100_000, message=_l("Please keep the text under 100,000 characters.")),
        refuse_controls_in_block])
    english_applies = BooleanField(_l("The English version is the one that applies"), default=True)
    # The version the head was shown: one published since is not translated unseen.
    of_version = HiddenField()

    version: PolicyVersion | None = None  # set by the view: the version being translated

    def validate_of_version(self, field) -> None:
        if self.version is not None and field.data != str(self.version.number):
            field.data = str(self.version.number)  # shown again with the new version's English
            raise ValidationError(_l(
                "A new version of the policy was published since you opened this form. Check "
                "your translation against its English (below), then save again."))

    def validate_key_points(self, field) -> None:
        points = policies.clean_key_points(field.data or "")
        field.data = points
        wanted = len(self.version.key_point_list) if self.version is not None else 0
        have = len([line for line in points.split("\n") if line])
        if wanted and have != wanted:
            raise ValidationError(ngettext(
                "The English has %(num)d key point: please translate it, on one line.",
                "The English has %(num)d key points: please translate each, one per line "
                "(there are %(have)d).", wanted, have=have))
        if not wanted and have:
            raise ValidationError(_l("This version has no key points in English, so its "
                                     "translation has none either."))
        if any(len(point) > policies.KEY_POINT_LENGTH for point in points.split("\n")):
            raise ValidationError(_l("Please keep each key point under %(n)d characters.",
                                     n=policies.KEY_POINT_LENGTH))
