"""Translations of the policy: the head adds them, the kiosk offers them, acceptances name them.

- A translation belongs to one published version and one of the app's languages other than
  English (`i18n.LANGUAGES`). Saved rows are never changed: saving again adds a newer row that
  replaces it for new readers, withdrawing hides it; an acceptance keeps pointing at the row its
  reader was shown.
- Unless the head untick it, a translation says "The English version is the one that applies".
- `reading(version, language)` is what a public page shows: the translation when there is one,
  else the English text with a note that there is no translation in that language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import audit
from .i18n import DEFAULT, LANGUAGES, RIGHT_TO_LEFT
from .models import PolicyTranslation, PolicyVersion, db, utcnow
from .policies import content_hash, render_markdown

# The languages a translation may be in: every language of the interface but English.
TRANSLATABLE = {code: name for code, name in LANGUAGES.items() if code != DEFAULT}


def direction_of(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


@dataclass(frozen=True)
class Reading:
    """The policy as one reader is shown it."""

    version: PolicyVersion
    title: str
    body_html: str
    key_points: list[str]
    language: str  # of the text shown: "en" or the translation's
    translation: PolicyTranslation | None
    # The reader's language has no translation of this version, so they see the English.
    untranslated: bool

    @property
    def direction(self) -> str:
        return direction_of(self.language)

    @property
    def english_applies(self) -> bool:
        return self.translation is not None and self.translation.english_applies


def reading(version: PolicyVersion, language: str) -> Reading:
    translation = PolicyTranslation.offered(version, language) if language in TRANSLATABLE else None
    if translation is None:
        return Reading(version=version, title=version.title, body_html=render_markdown(version.body),
                       key_points=version.key_point_list, language=DEFAULT, translation=None,
                       untranslated=language in TRANSLATABLE)
    return Reading(version=version, title=translation.title,
                   body_html=render_markdown(translation.body),
                   key_points=translation.key_point_list, language=translation.language,
                   translation=translation, untranslated=False)


def current_translations(version: PolicyVersion) -> dict[str, PolicyTranslation]:
    """The translation offered in each language that has one, for the head's list."""
    found = {}
    for language in TRANSLATABLE:
        translation = PolicyTranslation.offered(version, language)
        if translation is not None:
            found[language] = translation
    return found


def starting_text(version: PolicyVersion, language: str) -> PolicyTranslation | None:
    """What the head's form starts from: this version's translation, else the newest one of an
    earlier version in that language (most of a new version's text is usually unchanged)."""
    return PolicyTranslation.offered(version, language) or (
        PolicyTranslation.select().join(PolicyVersion)
        .where(PolicyTranslation.language == language, PolicyVersion.number < version.number,
               PolicyTranslation.withdrawn_at.is_null())  # not one withdrawn as wrong
        .order_by(PolicyVersion.number.desc(), PolicyTranslation.created_at.desc(),
                  PolicyTranslation.id.desc()).first())


def save(version: PolicyVersion, language: str, *, title: str, body: str, key_points: str,
         english_applies: bool, by: str) -> PolicyTranslation:
    """Add a translation, replacing the one offered before in that language."""
    if language not in TRANSLATABLE:
        raise ValueError(f"not a language a translation can be in: {language!r}")
    with db.atomic():
        replaced = PolicyTranslation.offered(version, language)
        translation = PolicyTranslation.create(
            policy_version=version, language=language, title=title, body=body,
            key_points=key_points, english_applies=english_applies,
            content_hash=content_hash(title, body, key_points), created_by=by)
        audit.record("policy.translation_saved", kind="policy_translation",
                     record_id=translation.id, version=version.number, language=language,
                     english_applies=english_applies, content_hash=translation.content_hash,
                     replaces=replaced.id if replaced else "")
    return translation


def withdraw(translation: PolicyTranslation) -> None:
    """Stop offering it. Acceptances of it keep naming it."""
    with db.atomic():
        changed = (PolicyTranslation.update(withdrawn_at=utcnow())
                   .where(PolicyTranslation.id == translation.id,
                          PolicyTranslation.withdrawn_at.is_null()).execute())
        if changed:
            audit.record("policy.translation_withdrawn", kind="policy_translation",
                         record_id=translation.id, version=translation.policy_version.number,
                         language=translation.language)


def shown_to_reader(value: object, version: PolicyVersion | None) -> PolicyTranslation | None:
    """The translation a form says its reader was shown, if it is one of that version's (a
    replaced or withdrawn one still is: it is what they read). None for none or a bad value."""
    if version is None or not re.fullmatch(r"[0-9]{1,9}", str(value or "")):
        return None
    return PolicyTranslation.get_or_none(PolicyTranslation.id == int(value),
                                         PolicyTranslation.policy_version == version)
