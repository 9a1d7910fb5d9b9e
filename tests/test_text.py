"""The one set of text cleaners (kiosk/text.py): what is kept of what was typed."""

from __future__ import annotations

import unicodedata

import pytest

from kiosk.text import clean_block, clean_text, has_block_controls, has_control_characters, search_name

from .helpers import make_acceptance, sign_in_as


def test_a_name_is_kept_in_one_form_with_single_spaces():
    decomposed = unicodedata.normalize("NFD", "Zoë  Brontë ")
    assert decomposed != "Zoë  Brontë "
    assert clean_text(decomposed) == "Zoë Brontë"
    assert clean_text(None) == ""


def test_a_block_keeps_its_lines_but_not_trailing_spaces_or_blank_edges():
    assert clean_block("\r\n  first  \r\nsecond\t \n\n") == "first\nsecond"
    assert clean_block(None) == ""


def test_control_characters_are_found_where_they_do_not_belong():
    assert has_control_characters("Ann\tSmith") and has_control_characters("Ann\u202eSmith")
    assert not has_control_characters("Ann Smith-Jones")
    assert has_block_controls("line\x00") and not has_block_controls("one\n\ttwo")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_line_and_paragraph_separators_break_one_line_text(separator):
    """Python (and an email's header) starts a new line at each; a one-line field refuses them."""
    assert len(f"Policy{separator}Title".splitlines()) == 2
    assert has_control_characters(f"Policy{separator}Title")
    assert not has_control_characters("Policy\u00a0Title\u2009(\u2019)")  # spaces, a quote


def test_a_searched_name_is_cleaned_as_a_stored_one():
    assert search_name("  ann\t\nVISITOR ") == "ann VISITOR"
    assert search_name(unicodedata.normalize("NFD", "Zoë")) == "Zoë"
    assert len(search_name("x" * 300)) == 100


def test_a_name_typed_with_separate_accents_still_finds_the_person(app, client, dsl):
    """An iPad keyboard and a pasted name may spell an accent differently; both are one person."""
    with app.app_context():
        make_acceptance(full_name="Zoë Brontë")
    sign_in_as(client, dsl)
    typed = unicodedata.normalize("NFD", "zoë brontë")
    html = client.get("/reports/evidence", query_string={"name": typed}).get_data(as_text=True)
    assert html.count("Accepted as ") == 1
