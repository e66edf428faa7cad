from django import template
from django.utils.safestring import SafeString, mark_safe

from catalogue.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML that nh3 has sanitised, so it is safe to mark as such."""
    # Safe: render_markdown() sanitises with nh3 (no script, handlers or javascript: links).
    return mark_safe(render_markdown(text))  # nosec B308, B703  # nosemgrep
