"""Show a document's text as paragraphs and headings: Markdown headings (## 第一章 总则) become <h3>-<h6>.

The input is already HTML-safe: the highlighter's output, escaped text with <mark> around matches. Nothing
here unescapes it, so raw HTML inside a document stays text.
"""

from __future__ import annotations

import re

from markupsafe import Markup

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FIRST_LEVEL = 3  # the page's own <h1> is the title and <h2> the section: a document's # is <h3>


def render_text(marked: str) -> Markup:
    """Turn escaped, marked text into <p> per paragraph and <hN> per Markdown heading line."""
    blocks = []
    # the text's shallowest heading is <h3> (laws start at ##): heading levels never skip one (axe heading-order)
    top = min((len(m[1]) for line in marked.split("\n") if (m := HEADING.match(line.strip()))), default=1)
    for line in marked.split("\n"):
        line = line.strip()
        if not line:
            continue
        if m := HEADING.match(line):
            level = min(FIRST_LEVEL + len(m[1]) - top, 6)
            blocks.append(f'<h{level} class="doc-heading">{m[2]}</h{level}>')
        else:
            blocks.append(f"<p>{line}</p>")
    return Markup("".join(blocks))  # noqa: S704 - every piece came escaped from the highlighter
