"""The W3C Nu HTML Checker finds no errors in the rendered HTML of every page type."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import (
    make_case_study,
    make_council,
    make_organisation,
    make_outcome,
    make_partnership,
    make_service_area,
    make_source,
    make_staff_user,
)

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = Path(
    os.environ.get("VNU_JAR", ROOT / ".ci/.tools/node_modules/vnu-jar/build/dist/vnu.jar")
)

if not (VNU_JAR.is_file() and shutil.which("java")):
    if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":
        raise RuntimeError(f"The Nu HTML Checker is required but {VNU_JAR} or java is missing.")
    pytest.skip("vnu.jar or java missing (.ci/run installs them)", allow_module_level=True)


@pytest.fixture
def pages(client):
    council = make_council(name="Wigan")
    area = make_service_area(name="Adult social care")
    nhs = make_organisation(name="Wigan NHS Trust")
    partnership = make_partnership(lead_council=council, partners={nhs: "Community care"})
    case_study = make_case_study(
        title="Integrating care",
        body="Partners **pooled** budgets.\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        councils=[council],
        service_areas=[area],
        partnership=partnership,
    )
    make_outcome(case_study=case_study, figure=7.5, unit="£m")
    make_source(case_study=case_study)
    other = make_case_study(councils=[council], service_areas=[area])
    public = [
        "/",
        "/case-studies/",
        f"/case-studies/?response=collaborate&service={area.slug}",
        "/case-studies/?q=pooled",
        "/case-studies/?response=nonsense",
        case_study.get_absolute_url(),
        council.get_absolute_url(),
        nhs.get_absolute_url(),
        partnership.get_absolute_url(),
        area.get_absolute_url(),
        "/responses/exit/",
        "/accessibility/",
        "/about/",
        "/privacy/",
        "/insights/",
        f"/insights/?service={area.slug}",
        "/codebook/",
        f"/compare/?ids={case_study.slug},{other.slug}",
        "/api/docs/",
        "/no-such-page/",
        "/admin/login/",
    ]
    rendered = {path: client.get(path).content.decode() for path in public}
    client.force_login(make_staff_user())
    for path in [
        reverse("admin:catalogue_casestudy_change", args=[case_study.pk]),
        reverse("admin:catalogue_casestudy_add"),
        reverse("admin:catalogue_casestudy_changelist"),
    ]:
        rendered[path] = client.get(path).content.decode()
    return rendered


@pytest.mark.django_db
def test_every_page_type_is_valid_html(pages, tmp_path):
    files = {}
    for number, (path, html) in enumerate(pages.items()):
        file = tmp_path / f"page{number}.html"
        file.write_text(html, encoding="utf-8")
        files[str(file)] = path
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    problems = [
        f"{files.get(m.get('url', '').removeprefix('file:'), m.get('url'))}: "
        f"line {m.get('lastLine')}: {m['message']}"
        for m in messages
    ]
    assert not problems, "\n".join(problems)
