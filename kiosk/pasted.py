"""Text pasted into the policy editor from Word or a web page: made safe with nh3, then written
as the Markdown the policy is kept in.

nh3 goes first and keeps only headings, paragraphs, lists, bold, italic and links (never a
script, a style, an event handler or a picture); the small writer below then turns those few
well-formed tags into Markdown. Word's own lists arrive as paragraphs that start with a bullet
character or a number, and are read as list items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3

PASTE_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "ul", "ol", "li", "strong", "b",
              "em", "i", "a"}
# Removed with everything in them: what Word and browsers put on the clipboard besides the text.
PASTE_DROPPED = {"script", "style", "title", "noscript", "template", "textarea", "select",
                 "object", "iframe", "svg", "math", "xml", "head"}
MAX_PASTE_CHARACTERS = 1_000_000

_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6"}
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*"}
# A paragraph Word wrote for a list item: a bullet (Symbol's ·, •, ▪, Wingdings' §, Courier's o
# for a second level) or a number, then spaces.
# Word puts non-breaking spaces after its own markers, which tells them from a paragraph that
# happens to begin "1. " or "- ".
_WORD_BULLET = re.compile(r"^\s*(?:[·•▪§◦‣]\s+|(?:[-–o])[ ]*\xa0\s*)")
_WORD_NUMBER = re.compile(r"^\s*(\d{1,3})[.)][ ]*\xa0\s*")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]])")


@dataclass
class _Block:
    kind: str  # paragraph, heading, item
    prefix: str  # "## ", "- ", "    1. "
    list_number: int = 0  # which outermost list an item is in: a new list needs a blank line
    children: list = field(default_factory=list)


class _MarkdownWriter(HTMLParser):
    """Reads the safe HTML nh3 left, block by block, and writes each block as Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.block: _Block | None = None
        self.inline: list[list] = []  # the open inline containers of the current block
        self.opened: list[bool] = []  # for each open <b>/<i>/<a>: whether it made a node
        self.lists: list[list] = []  # [kind, next number] for each open list
        self.items = 0  # <li> elements open
        self.lists_opened = 0

    def _start_block(self, kind: str, prefix: str) -> None:
        self._end_block()
        self.block = _Block(kind, prefix)
        self.inline = [self.block.children]

    def _end_block(self) -> None:
        if self.block is not None and _render(self.block.children).strip():
            self.blocks.append(self.block)
        self.block, self.inline = None, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("ul", "ol"):
            self._end_block()
            start = next((value for name, value in attrs if name == "start"), None)
            self.lists_opened += not self.lists
            # Only a plain number a list could start at ("²" is a digit to isdigit, not to int).
            number = int(start) if start and start.isascii() and start.isdigit() and len(start) < 7 else 1
            self.lists.append([tag, number])
        elif tag == "li":
            indent = "    " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                marker = f"{self.lists[-1][1]}. "
                self.lists[-1][1] += 1
            else:
                marker = "- "
            self.items += 1
            self._start_block("item", indent + marker)
            self.block.list_number = self.lists_opened
        elif tag in _BLOCK_TAGS:
            if self.items and self.block is not None and self.block.kind == "item":
                self.inline[0].append(" ")  # a paragraph inside a list item: the same item
            elif tag == "p":
                self._start_block("paragraph", "")
            else:  # the policy's own title is the page's h1, so its sections start at ##
                self._start_block("heading", "#" * min(int(tag[1]) + 1, 6) + " ")
        elif tag == "br":
            if self.block is not None and self.block.kind != "item":
                kind = self.block.kind
                self._end_block()
                if kind == "paragraph":
                    self._start_block("paragraph", "")
            elif self.block is not None:
                self.inline[-1].append(" ")
        elif tag in _EMPHASIS or tag == "a":
            # Emphasis around whole paragraphs (Google Docs wraps a paste in a <b> that is not
            # bold) cannot be written in Markdown, and is left out.
            href = next((value for name, value in attrs if name == "href"), None)
            made = self.block is not None and (tag != "a" or bool(href))
            if made:
                node = [tag, href, []]
                self.inline[-1].append(node)
                self.inline.append(node[2])
            self.opened.append(made)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self._end_block()
            if self.lists:
                self.lists.pop()
        elif tag == "li":
            self._end_block()
            self.items = max(self.items - 1, 0)
        elif tag in _BLOCK_TAGS:
            if not (self.items and self.block is not None and self.block.kind == "item"):
                self._end_block()
        elif tag in _EMPHASIS or tag == "a":
            if self.opened and self.opened.pop() and len(self.inline) > 1:
                self.inline.pop()

    def handle_data(self, data: str) -> None:
        if self.block is None:
            if not data.strip():
                return
            self._start_block("paragraph", "")
        self.inline[-1].append(data)

    def markdown(self) -> str:
        self._end_block()
        parts: list[str] = []
        previous_list = None
        for block in self.blocks:
            text = " ".join(_render(block.children).split())
            prefix, this_list = block.prefix, block.list_number if block.kind == "item" else None
            if block.kind == "paragraph":
                prefix, text = _word_list_item(text, block.children)
                this_list = ("word", prefix == "- ") if prefix else None
                if not prefix:
                    text = _escape_block_start(text)
            if parts:  # a list's items stay together; everything else is a block of its own
                together = this_list is not None and this_list == previous_list
                parts.append("\n" if together else "\n\n")
            parts.append(prefix + text)
            previous_list = this_list
        return "".join(parts).strip() + ("\n" if parts else "")


def _escape_block_start(text: str) -> str:
    """Text that would start a heading, a quote or a list if written as it is."""
    number = re.match(r"^(\d+)([.)])(?=\s|$)", text)
    if number:
        return f"{number.group(1)}\\{text[len(number.group(1)):]}"
    return re.sub(r"^(#{1,6}(?=\s|$)|>|[-+*](?=\s))", r"\\\1", text)


def _word_list_item(text: str, children: list) -> tuple[str, str]:
    """A paragraph Word wrote for a bulleted or numbered item: its Markdown marker and text."""
    raw = _leading_text(children)
    bullet, number = _WORD_BULLET.match(raw), _WORD_NUMBER.match(raw)
    if bullet:
        return "- ", " ".join(text[len(" ".join(raw[:bullet.end()].split())):].split())
    if number:
        return f"{number.group(1)}. ", " ".join(text[len(" ".join(raw[:number.end()].split())):]
                                                .split())
    return "", text


def _leading_text(children: list) -> str:
    """The plain text at the very start of a block, before any bold, italic or link."""
    text = ""
    for child in children:
        if not isinstance(child, str):
            break
        text += child
    return text


def _render(children: list) -> str:
    """Inline content as Markdown: text escaped, emphasis and links written out."""
    out = []
    for child in children:
        if isinstance(child, str):
            text = _INLINE_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", child))
            out.append(re.sub(r"&(?=#?\w+;)", "&amp;", text).replace("<", "&lt;"))
            continue
        tag, href, inner = child
        content = _render(inner)
        core = content.strip()
        if not core:
            out.append(content)
            continue
        lead = content[:len(content) - len(content.lstrip())]
        trail = content[len(content.rstrip()):]
        if tag == "a":
            for character, code in ((" ", "%20"), ("(", "%28"), (")", "%29"),
                                    ("<", "%3C"), (">", "%3E")):
                href = href.replace(character, code)
            out.append(f"{lead}[{core}]({href}){trail}")
        else:
            mark = _EMPHASIS[tag]
            out.append(f"{lead}{mark}{core}{mark}{trail}")
    return "".join(out)


def pasted_markdown(html: str) -> str:
    """HTML from the clipboard as Markdown, keeping only headings, paragraphs, lists, bold,
    italic and links (to web and email addresses); nothing else survives."""
    safe = nh3.clean(html[:MAX_PASTE_CHARACTERS], tags=PASTE_TAGS,
                     clean_content_tags=PASTE_DROPPED, attributes={"a": {"href"}, "ol": {"start"}},
                     url_schemes={"http", "https", "mailto"}, url_relative="deny", link_rel=None,
                     strip_comments=True)
    writer = _MarkdownWriter()
    writer.feed(safe)
    writer.close()
    return writer.markdown()
