"""Keep a first version of everything that existed before history was recorded.

Without it an earlier version would seem to have had no outcomes or sources, and restoring
it would remove them.
"""

from django.db import migrations
from django.utils import timezone

REASON = "Version kept when the history began"


def begin_history(apps, schema_editor):
    now = timezone.now()
    records = {}
    for name in ["Outcome", "Source", "CaseStudy"]:
        model = apps.get_model("catalogue", name)
        historical = apps.get_model("catalogue", f"Historical{name}")
        tracked = [f.attname for f in historical._meta.fields if not f.name.startswith("history_")]
        records[name] = historical.objects.bulk_create(
            historical(
                **{attname: getattr(obj, attname) for attname in tracked},
                history_date=now,
                history_type="+",
                history_change_reason=REASON,
            )
            for obj in model.objects.all()
        )
    case_study = apps.get_model("catalogue", "CaseStudy")
    for field, target in [("councils", "council"), ("service_areas", "servicearea")]:
        through = case_study._meta.get_field(field).remote_field.through
        historical = apps.get_model("catalogue", f"HistoricalCaseStudy_{field}")
        by_case_study = {record.id: record for record in records["CaseStudy"]}
        historical.objects.bulk_create(
            historical(
                id=row.id,
                history=by_case_study[row.casestudy_id],
                casestudy_id=row.casestudy_id,
                **{f"{target}_id": getattr(row, f"{target}_id")},
            )
            for row in through.objects.all()
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0005_history")]

    operations = [migrations.RunPython(begin_history, migrations.RunPython.noop)]
