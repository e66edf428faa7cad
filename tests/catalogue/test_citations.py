"""'Cite this case study': APA on the page, BibTeX and RIS downloads, permalink and date."""

from datetime import UTC, datetime

import pytest

from catalogue.models import CaseStudy, ResponseType
from tests.factories import make_case_study, make_council, make_service_area


@pytest.fixture
def wigan_case(db) -> CaseStudy:
    case_study = make_case_study(
        title="Integrating health and care in Wigan",
        response=ResponseType.COLLABORATE,
        start_year=2015,
        councils=[make_council(name="Wigan")],
        service_areas=[make_service_area(name="Adult social care")],
    )
    # Saving sets updated_at to now; fix it as an editor's last change on 5 March 2026.
    CaseStudy.objects.filter(pk=case_study.pk).update(
        updated_at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    )
    return case_study


def test_detail_page_cites_the_case_in_apa_with_permalink_and_last_update(client, wigan_case):
    page = client.get(wigan_case.get_absolute_url()).content.decode()
    permalink = f"http://testserver/case-studies/{wigan_case.pk}/"

    assert "Cite this case study" in page
    assert (
        "Council partnerships catalogue. (2026, March 5). "
        "<i>Integrating health and care in Wigan</i> [Case study of Wigan, started 2015]. "
        f"{permalink}"
    ) in page
    assert f'<a href="{permalink}">{permalink}</a>' in page
    assert '<time datetime="2026-03-05">5 March 2026</time>' in page
    assert f'href="/case-studies/{wigan_case.slug}/cite.bib"' in page
    assert f'href="/case-studies/{wigan_case.slug}/cite.ris"' in page


def test_bibtex_download(client, wigan_case):
    response = client.get(f"/case-studies/{wigan_case.slug}/cite.bib")

    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{wigan_case.slug}.bib"'
    assert response.content.decode() == (
        f"@misc{{cpc-case-study-{wigan_case.pk},\n"
        "  author       = {{Council partnerships catalogue}},\n"
        "  title        = {{Integrating health and care in Wigan}},\n"
        "  howpublished = {Case study of Wigan, started 2015},\n"
        "  year         = {2026},\n"
        "  month        = mar,\n"
        f"  url          = {{http://testserver/case-studies/{wigan_case.pk}/}},\n"
        "  note         = {Last updated 5 March 2026},\n"
        "  keywords     = {Collaborate, Adult social care},\n"
        "}\n"
    )


def test_ris_download(client, wigan_case):
    response = client.get(f"/case-studies/{wigan_case.slug}/cite.ris")

    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{wigan_case.slug}.ris"'
    assert response.content.decode() == (
        "TY  - ELEC\r\n"
        "TI  - Integrating health and care in Wigan\r\n"
        "AU  - Council partnerships catalogue\r\n"
        "PY  - 2026\r\n"
        "DA  - 2026/03/05\r\n"
        "PB  - Council partnerships catalogue\r\n"
        f"UR  - http://testserver/case-studies/{wigan_case.pk}/\r\n"
        "N1  - Case study of Wigan, started 2015. Last updated 5 March 2026.\r\n"
        "KW  - Collaborate\r\n"
        "KW  - Adult social care\r\n"
        "ER  - \r\n"
    )


@pytest.mark.django_db
def test_bibtex_escapes_what_latex_would_misread(client):
    case_study = make_case_study(
        title="Care & repair: 100% of {homes} for £5_000 #1 ~ ^ \\ done",
        councils=[make_council(name="Brighton & Hove")],
    )

    text = client.get(f"/case-studies/{case_study.slug}/cite.bib").content.decode()

    assert (
        r"title        = {{Care \& repair: 100\% of \{homes\} for £5\_000 \#1 "
        r"\textasciitilde{} \textasciicircum{} \textbackslash{} done}}"
    ) in text
    assert r"howpublished = {Case study of Brighton \& Hove, started 2015}" in text


@pytest.mark.django_db
def test_citation_names_three_councils_then_counts_the_rest(client):
    councils = [make_council(name=name) for name in ["Adur", "Bury", "Crewe", "Derby", "Ealing"]]
    case_study = make_case_study(title="Five councils", councils=councils, start_year=None)

    page = client.get(case_study.get_absolute_url()).content.decode()

    assert "[Case study of Adur, Bury, Crewe and 2 other councils]" in page


@pytest.mark.django_db
def test_apa_citation_escapes_html_in_titles(client):
    case_study = make_case_study(title="<script>alert(1)</script> care")

    page = client.get(case_study.get_absolute_url()).content.decode()

    assert "<i>&lt;script&gt;alert(1)&lt;/script&gt; care</i>" in page
