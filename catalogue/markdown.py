"""Editors write case-study bodies in Markdown; the public sees sanitised HTML."""

import nh3
from markdown_it import MarkdownIt

# CommonMark without raw HTML: editors' HTML is shown as text, and nh3 strips anything that
# still looks dangerous (script, event handlers, javascript: links).
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "h3", "h4", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "hr",
}  # fmt: skip


def render_markdown(text: str) -> str:
    html = _markdown.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
