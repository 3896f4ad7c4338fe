"""Text that came from data, shown as text: never read as Markdown or HTML.

Touchpoint names, segments, comments, initiative titles, decisions and the
names of people can hold anything, e.g. ``![x](http://host/beacon.png)``,
which Markdown would turn into an image fetched by every viewer's browser.
Streamlit reads Markdown in st.markdown, captions, titles, labels and
alerts; Plotly reads a little HTML (``<a href>``, ``<b>``) in chart text.
Every such place passes data text through one of these two functions."""

from __future__ import annotations

import re

# Markdown's inline marks (emphasis, code, links and images, HTML, tables,
# strike-through, $maths$), Streamlit's :colour[...] / :icon: directives, and
# a heading or list marker at the start: each escaped with a backslash, so
# it is shown as itself.
_INLINE = re.compile(r"([\\`*_\[\]<>~$|])")
_DIRECTIVE = re.compile(r":(?=[A-Za-z]|//)")  # also breaks the autolink of a bare http://…
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)  # … and of www.…
_LEADING = re.compile(r"^([#+\-=>])")
_NUMBERED = re.compile(r"^(\d+)([.)])")


def md(text) -> str:
    """Data text for any Streamlit element that reads Markdown (st.markdown,
    st.caption, st.title, labels, alerts): shown literally, line breaks kept
    as spaces."""
    if text is None:
        return ""
    text = _INLINE.sub(r"\\\1", " ".join(str(text).split()))
    text = _WWW.sub(r"\1\\.", _DIRECTIVE.sub(r"\\:", text))
    return _NUMBERED.sub(r"\1\\\2", _LEADING.sub(r"\\\1", text))


def md_value(text: str) -> str:
    """A value formatted by the catalog, inside Markdown: only a currency's
    "$" can mean something there ($…$ is maths); settings.py allows no other
    Markdown character in a currency."""
    return text.replace("$", "\\$")


def chart(text) -> str:
    """Data text for a Plotly label, title or hover text: its HTML is shown
    as characters, never as a link or markup."""
    if text is None:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
