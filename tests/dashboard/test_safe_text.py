"""md_escape: user text shown through Streamlit Markdown stays literal text."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from dashboard.common.safe_text import md_escape

HOSTILE = [
    "![x](http://127.0.0.1:9/pixel.png)",
    "[click](javascript:alert(1))",
    "**bold** _it_ ~~gone~~ `code` # heading",
    ":red[red] :material/home: :smile: $x^2$ $$y$$",
    "<img src=x onerror=alert(1)> &amp; a|b|c",
    "- item\n1. item\n> quote",
    "www.example.com a@b.co HTTP://EXAMPLE.COM",
]
JOINER = "\u2060"


def unescape(md: str) -> str:
    """What CommonMark shows for text with backslash escapes (the joiners are invisible)."""
    return re.sub(r"\\([" + re.escape(string.punctuation) + "])", r"\1", md).replace(JOINER, "")


@given(st.text())
def test_escaped_text_shows_exactly_the_input(text):
    assert unescape(md_escape(text)) == text.replace(JOINER, "")


@given(st.text(alphabet=string.printable + "äß€→"))
def test_no_markdown_character_is_left_unescaped(text):
    out = md_escape(text)
    # every ASCII punctuation is preceded by a backslash that is not itself escaped
    plain = re.sub(r"\\.", "", out, flags=re.S)
    assert not any(c in string.punctuation for c in plain)


def test_hostile_names_cannot_form_images_links_or_directives():
    for text in HOSTILE:
        out = md_escape(text)
        assert unescape(out) == text
        for syntax in ("![", "](", ":red[", "$x", "<img", "**"):
            assert not re.search(r"(?<!\\)" + re.escape(syntax), out)  # it starts escaped
        # the GFM autolinker (it runs on the parsed text) finds no "://", "www." or "a@b"
        shown = re.sub(r"\\(.)", r"\1", out)
        assert not re.search(r"(?i)https?://|www\.|\w@", shown)
