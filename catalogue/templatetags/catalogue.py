import functools
from html import escape
from urllib.parse import quote

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from catalogue import addresses
from catalogue.addresses import fixed_path
from catalogue.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML that nh3 has sanitised, so it is safe to mark as such."""
    # Safe: render_markdown() sanitises with nh3 (no script, handlers or javascript: links).
    return mark_safe(render_markdown(text))  # nosec B308, B703  # nosemgrep


@register.simple_tag
def facet_options(facet: dict) -> SafeString:
    """A facet's checkboxes. Built with f-strings: a council facet has hundreds of options, and
    rendering them through the template engine cost more than the rest of the page.

    Ids follow the value, not the position, so focus can return to the same box after the
    options are re-rendered in another order. An option's `also` (other names, space-separated)
    is matched by the type-to-filter box too."""
    items = []
    for option in facet["options"]:
        count = option["count"]
        opening, box, label = _option_markup(
            facet["name"], option["value"], option["label"], tuple(option.get("also", ()))
        )
        items.append(
            f'<li class="option{"" if count else " option--empty"}"{opening}{box}'
            f'{" checked" if option["checked"] else ""}>{label} <span class="option__count">'
            f'({count}<span class="visually-hidden"> case {"study" if count == 1 else "studies"}'
            f"{'' if count else ', none match'}</span>)</span></label></li>"
        )
    # Safe: every value from outside this module went through html.escape (_option_markup).
    return mark_safe("".join(items))  # nosec B308, B703  # nosemgrep


@functools.lru_cache(maxsize=4096)
def _option_markup(name: str, value: str, label: str, also: tuple[str, ...]) -> tuple[str, ...]:
    """What of an option's markup stays the same from page to page, escaped once per process
    rather than on every page: the rest of the <li>'s opening tag, the checkbox up to where it
    may be ticked, the label up to the count."""
    name, value = escape(name), escape(value)
    field_id = f"id_{name}-{value}"
    # Other names (a council's official name, aliases) for type-to-filter to match.
    opening = f' data-also="{escape(" | ".join(also))}">' if also else ">"
    box = f'<input type="checkbox" name="{name}" value="{value}" id="{field_id}"'
    return opening, box, f'<label for="{field_id}">{escape(label)}'


def count_link(count: int, url: str, description: str) -> str:
    """A count, linked to its filter when it has one, with words for screen readers."""
    if not url:
        return str(count)
    return (
        f'<a href="{escape(url)}">{count}<span class="visually-hidden"> {escape(description)}'
        "</span></a>"
    )


@register.simple_tag
def matrix_rows(matrix) -> SafeString:
    """The heat map's rows (catalogue.insights.Matrix): about a hundred linked cells, built
    with f-strings like the facets' options, at a fraction of the template engine's cost."""
    rows = []
    for row in matrix.rows:
        cells = "".join(
            f'<td class="num shade-{cell.shade}">{count_link(cell.count, cell.url, cell.label)}'
            "</td>"
            for cell in row.cells
        )
        total = row.total
        about = f"case stud{'y' if total.count == 1 else 'ies'} about {total.label}"
        rows.append(
            f'<tr><th scope="row">{escape(row.label)}</th>{cells}'
            f'<td class="num">{count_link(total.count, total.url, about)}</td></tr>'
        )
    # Safe: every value from outside this module went through html.escape above.
    return mark_safe("".join(rows))  # nosec B308, B703  # nosemgrep


@register.simple_tag
def bar_rows(chart) -> SafeString:
    """A bar chart's rows (catalogue.insights.BarChart): a row per start year, thirty or more,
    built with f-strings like the heat map's rows."""
    rows = []
    for bar in chart.bars:
        drawn = (
            f'<svg class="bar-row__bar" width="{bar.percent}%" height="100%" aria-hidden="true" '
            'focusable="false"><rect width="100%" height="100%"/></svg>'
            if bar.count
            else ""
        )
        count = (
            f'<a href="{escape(bar.url)}" aria-label="{escape(bar.description)}">{bar.count}</a>'
            if bar.url
            else str(bar.count)
        )
        rows.append(
            f'<li class="bar-row"><span class="bar-row__label">{escape(bar.label)}</span>'
            f'<span class="bar-row__track">{drawn}</span>'
            f'<span class="bar-row__count">{count}</span></li>'
        )
    # Safe: every text went through html.escape above; percent and count are numbers.
    return mark_safe("".join(rows))  # nosec B308, B703  # nosemgrep


@register.simple_tag
def case_study_card(
    case_study, *, comparable: bool = False, list_query: str = "", chosen=()
) -> SafeString:
    """A case study's card (a catalogue.models.Card: CaseStudyQuerySet.cards()). Built with
    f-strings like the facets' options: twenty cards through the template engine cost a third
    of a list page. `list_query` is the list's query string, carried on as ?from= for the
    breadcrumb; `comparable` adds the compare box, ticked if the slug is in `chosen`."""
    title = escape(case_study.title)
    url = escape(case_study.get_absolute_url())
    if list_query:
        url += f"?from={_quoted(list_query)}"
    meta = [
        f'<span class="tag tag--{escape(case_study.response)}">'
        f"{escape(str(case_study.get_response_display()))}</span>"
    ]
    if case_study.secondary_response:
        secondary = str(case_study.get_secondary_response_display()).lower()
        meta.append(f'<span class="tag tag--secondary">also {escape(secondary)}</span>')
    if case_study.start_year:
        meta.append(f"<span>Started {case_study.start_year}</span>")
    extract = case_study.extract
    if extract:  # already escaped, with the search's <mark>s
        text = f'<p class="card__extract">{conditional_escape(extract)}</p>'
    else:
        text = f"<p>{escape(first_words(case_study.summary, 60))}</p>"
    councils = ", ".join(escape(name) for name in case_study.councils)
    areas = ", ".join(escape(name) for name in case_study.service_areas)
    compare = ""
    if comparable:
        slug = escape(case_study.slug)
        ticked = " checked" if case_study.slug in chosen else ""
        compare = (
            f'<p class="card__compare"><input type="checkbox" name="compare" value="{slug}" '
            f'id="compare-{slug}"{ticked}><label for="compare-{slug}">Compare'
            f'<span class="visually-hidden"> “{title}”</span></label></p>'
        )
    html = (
        f'<article class="card"><h3 class="card__title"><a href="{url}">{title}</a></h3>'
        f'<p class="card__meta">{" ".join(meta)}</p>{text}<dl class="card__facts">'
        f"<div><dt>Councils</dt><dd>{councils}</dd></div>"
        f"<div><dt>Service areas</dt><dd>{areas}</dd></div></dl>{compare}</article>"
    )
    # Safe: every value from outside this function went through escape above (the extract
    # through conditional_escape, which keeps what search.highlight already made safe).
    return mark_safe(html)  # nosec B308, B703  # nosemgrep


@register.simple_tag
def path_with(name: str, value: str | int) -> str:
    """`{% url name value %}` for an address with one varying part (a slug, an id), the rest
    reversed once per process (catalogue.addresses)."""
    return addresses.path_with(name, value)


def first_words(text: str, count: int) -> str:
    """The text's first `count` words, and " …" if it has more (truncatewords for plain text,
    without the lazy objects that made it a fifth of a card's time)."""
    words = text.split()
    if len(words) > count:
        return " ".join(words[:count]) + " …"
    return " ".join(words)


@functools.lru_cache(maxsize=64)
def _quoted(list_query: str) -> str:
    """A list's query string as one ?from= value: the same for each of a page's cards."""
    return quote(list_query, safe="")


@register.simple_tag
def page_url(name: str, *args: str) -> str:
    """`{% url %}` for the links on every page (the header's, the footer's), reversed once per
    process (catalogue.addresses)."""
    return fixed_path(name, *args)
