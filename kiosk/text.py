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
