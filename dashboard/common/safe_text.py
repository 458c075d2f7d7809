"""Show user-supplied text (column, dataset, run and file names, tickers, sentiment and
generated text, messages that quote CSV cells) literally wherever Streamlit renders Markdown.

``st.markdown``, ``st.caption``, ``st.write`` of a string, alerts, widget labels and help,
metric, expander and tab labels, and radio/pills options all parse Markdown plus Streamlit's
own syntax (``:red[...]`` directives, ``:material/icon:``, ``$`` LaTeX). A name such as
``![x](http://host/pixel.png)`` would otherwise make every browser that shows it fetch the
URL. Plain-text places (``st.code``, ``st.text``, dataframes, selectbox options, Plotly)
need no escaping.
"""

from __future__ import annotations

import re
import string

# CommonMark lets any ASCII punctuation be backslash-escaped and then shows it literally;
# escaping all of it also defuses Streamlit's directives (":", "[") and LaTeX ("$").
_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
# The browser's GFM autolinker still turns a literal "http://...", "www." or "a@b.c" in the
# parsed text into a link; an invisible word joiner before "://", "www"'s dot and "@" stops it.
_AUTOLINK = re.compile(r"(?=://)|(?i:(?<=www))(?=\.)|(?=@)")
_JOINER = "\u2060"


def md_escape(text: object) -> str:
    """``text`` as Markdown source that renders as exactly that text, with no link, image,
    emphasis, heading, list, directive, icon or formula."""
    return _PUNCT.sub(r"\\\1", _AUTOLINK.sub(_JOINER, str(text)))
