"""The one set of text cleaners: what the forms, the roster import and the searches keep of what
was typed, and what they refuse."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides can make a name display as something other than what was typed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str | None) -> str:
    """Normalise to NFC and fold runs of spaces, so 'Ann  Smith' and 'Ann Smith' are one name."""
    if value is None:
        return ""
    # Only spaces are folded: tabs and new lines inside stay, for the form to refuse them.
    return re.sub(" {2,}", " ", unicodedata.normalize("NFC", value)).strip()


# Control characters (tabs, new lines, NUL, DEL), and the line and paragraph separators
# (U+2028, U+2029): each breaks a line where one-line text goes, an email's subject among them.
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})


def has_control_characters(value: str) -> bool:
    """Control characters, line or paragraph separators, or direction overrides in one-line text."""
    return (any(unicodedata.category(ch) in _LINE_BREAKING for ch in value)
            or bool(_BIDI_CONTROLS.search(value)))


def clean_block(value: str | None) -> str:
    """Multi-line text: keep the lines, drop trailing spaces and the blank lines around it."""
    if value is None:
        return ""
    lines = (line.rstrip() for line in value.replace("\r\n", "\n").split("\n"))
    return "\n".join(lines).strip()


def has_block_controls(value: str) -> bool:
    """Control characters other than new lines and tabs, in multi-line text."""
    return any(ord(ch) < 32 and ch not in "\n\t" for ch in value)


def normalise_email(email: str) -> str:
    """An email address as it is stored and looked up: no spaces around it, lower case."""
    return email.strip().lower()


def search_name(value: str) -> str:
    """A name typed to search for, cleaned as names are when stored (any run of spaces, tabs
    or new lines is one space); at most 100 characters, as stored."""
    return clean_text(" ".join(value.split()))[:100]


# A stored name's search key is at most this long: casefolding and NFKC can make a 100-character
# name longer ("ß" is "ss", "ﬃ" is "ffi"), never this much in a real name.
SEARCH_KEY_LENGTH = 300

# Letters of Latin alphabets that carry their mark inside them (no separate accent to drop), as
# someone without that keyboard types them: "Lukasz" finds Łukasz, "Oyvind" finds Øyvind.
_PLAIN_LETTERS = str.maketrans({
    "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŧ": "t", "ŀ": "l", "ð": "d",
    "æ": "ae", "œ": "oe", "þ": "th",
    # The iPad's curly apostrophes and the other dashes are the typed ' and - in a name.
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2032": "'", "`": "'",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
})


def _sheds_accents(base: str) -> bool:
    """Whether accents on this letter may be dropped: Latin and Greek letters (Zoë is Zoe, Άννα
    is Αννα). Elsewhere a mark can be a letter of its own (a Devanagari vowel sign), so it stays,
    as does a mark with no letter before it."""
    return bool(base) and unicodedata.name(base, "").startswith(("LATIN ", "GREEK "))


def search_key(value: str | None) -> str:
    """A name as every search compares it, in Python, never in SQL: cleaned as `search_name`
    cleans it, NFKC, casefolded (not lower-cased: "STRASSE" finds Straße) and without accents
    on Latin and Greek letters, so Émile, EMILE and Emile are one name. Stored beside each name
    (the `name_key` columns) so SQLite and PostgreSQL find exactly the same people: SQL's
    LOWER() differs between them and lowers no "É" on SQLite at all."""
    if not value:
        return ""
    folded = unicodedata.normalize("NFKC", search_name(value)).casefold()
    kept: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", folded):
        if unicodedata.combining(ch):
            if _sheds_accents(base):
                continue
        else:
            base = ch
        kept.append(ch)
    plain = unicodedata.normalize("NFC", "".join(kept)).translate(_PLAIN_LETTERS)
    return " ".join(plain.split())[:SEARCH_KEY_LENGTH]
