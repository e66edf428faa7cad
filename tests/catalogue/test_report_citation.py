"""The Transforming Together report is cited from one place, with its right year."""

import re
from pathlib import Path

import pytest

from catalogue import exports
from catalogue.citations import TRANSFORMING_TOGETHER
from tests.outputs import json_data

REPOSITORY = Path(__file__).resolve().parent.parent.parent
CITATION_MODULE = REPOSITORY / "catalogue" / "citations.py"


def test_the_report_is_dated_2017_by_its_authors():
    assert TRANSFORMING_TOGETHER.year == 2017
    assert TRANSFORMING_TOGETHER.authors == ["Munro, J.", "Burbidge, I.", "Robson, J."]
    assert TRANSFORMING_TOGETHER.apa().startswith(
        "Munro, J., Burbidge, I., & Robson, J. (2017). Transforming Together: leading for "
        "people and place. RSA. https://www.thersa.org/"
    )


@pytest.mark.django_db
def test_the_codebook_and_the_exports_cite_the_report_from_one_place(client):
    codebook = json_data(client.get("/codebook.json"))
    page = client.get("/codebook/").content.decode()
    column = next(c for c in exports.COLUMNS if c.name == "from_transforming_together")
    about = next(v for v in codebook["vocabularies"] if v["name"] == "response_types")["about"]

    assert codebook["report"] == TRANSFORMING_TOGETHER.as_dict()
    assert "Transforming Together report (2017)" in about
    assert "Transforming Together report (2017)" in column.meaning
    assert f'<a href="{TRANSFORMING_TOGETHER.url}"><cite>' in page


def test_no_other_file_writes_down_the_reports_year():
    """A year beside the report's name anywhere but citations.py is a second copy."""
    near_a_year = re.compile(r"Transforming Together[^\n]{0,40}\b(19|20)\d\d")
    files = [*REPOSITORY.glob("catalogue/**/*.py"), *REPOSITORY.glob("templates/**/*.html")]
    copies = [
        str(path.relative_to(REPOSITORY))
        for path in files
        if path != CITATION_MODULE
        and "migrations" not in path.parts
        and near_a_year.search(path.read_text(encoding="utf-8"))
    ]

    assert files and copies == []


@pytest.mark.django_db
def test_the_home_page_speaks_of_the_whole_uk(client):
    page = client.get("/").content.decode()
    lead = re.search(r'<p class="lead">(.*?)</p>', page, re.S).group(1)

    assert "across the United Kingdom" in lead
    assert "England and Wales" not in lead
