from html.parser import HTMLParser

import pytest

from catalogue.models import Status
from tests.admin_forms import change_url
from tests.factories import make_case_study, make_editor

PAYLOADS = """
Intro with **bold** text.

<script>alert("script")</script>

<img src=x onerror=alert("img")>

[a javascript link](javascript:alert("link"))

<a href="javascript:alert('raw')" onclick="alert('click')">raw link</a>

<iframe src="https://evil.example"></iframe>

[a data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)

<svg onload=alert("svg")>
"""


class Tags(HTMLParser):
    """Every real tag and attribute in a page (escaped text does not count)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_in_prose(page: str) -> list[tuple[str, dict]]:
    start = page.index('<div class="prose">')
    end = page.index("</div>", start)
    parser = Tags()
    parser.feed(page[start:end])
    return parser.tags[1:]  # without the div itself


def assert_harmless(tags: list[tuple[str, dict]]) -> None:
    for tag, attrs in tags:
        assert tag not in {"script", "img", "iframe", "svg"}, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith(("javascript:", "data:")), value


@pytest.mark.django_db
def test_script_event_handlers_and_javascript_links_are_stripped_on_the_public_page(client):
    case_study = make_case_study(body=PAYLOADS)

    page = client.get(case_study.get_absolute_url()).content.decode()

    tags = tags_in_prose(page)
    assert ("strong", {}) in tags  # Markdown still works
    assert_harmless(tags)


@pytest.mark.django_db
def test_editors_preview_the_rendered_body_through_the_same_sanitiser(client):
    client.force_login(make_editor())
    case_study = make_case_study(body=PAYLOADS, status=Status.DRAFT)

    page = client.get(change_url(case_study)).content.decode()

    assert "Preview of the body (as last saved)" in page
    tags = tags_in_prose(page)
    assert ("strong", {}) in tags
    assert_harmless(tags)
