from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.models import CaseStudy


def everything() -> str:
    out = StringIO()
    call_command(
        "dumpdata", "catalogue", "partnerships", "auth.group", stdout=out, indent=None, verbosity=0
    )
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_the_seed_data_exactly(tmp_path, client):
    call_command("loadseed", stdout=StringIO())
    before = everything()
    backup = tmp_path / "catalogue.backup"
    call_command("backupdb", str(backup), stdout=StringIO())

    CaseStudy.objects.filter(slug="wigan-deal").delete()
    CaseStudy.objects.update(title="Overwritten")
    assert everything() != before

    call_command("restoredb", str(backup), "--no-input", stdout=StringIO())

    assert everything() == before
    # The search index came back too.
    assert "wigan-deal" in client.get("/case-studies/", {"q": "wigan"}).content.decode()


@pytest.mark.django_db
def test_restoring_a_file_that_is_not_a_backup_changes_nothing(tmp_path):
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(CommandError):
        call_command("restoredb", str(not_a_backup), "--no-input")
    with pytest.raises(CommandError, match="no backup file"):
        call_command("restoredb", str(tmp_path / "missing"), "--no-input")
