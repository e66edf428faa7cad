from django import template
from django.utils.safestring import SafeString, mark_safe

from catalogue.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML that nh3 has sanitised, so it is safe to mark as such."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 just above
