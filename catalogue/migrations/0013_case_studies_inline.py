"""On PostgreSQL, keep a case study's row whole in the table (up to 8 KB) rather than moving
its search vector and body out to TOAST storage past 2 KB, the default.

A search tests the vector of every case study that may match: out of line, each test fetched
and decompressed it from the TOAST table (three buffers a row). Inline, counting the 11,967 of
20,000 synthetic case studies that match "flooding" took 15 ms instead of 50. VACUUM FULL
rewrites the rows already there (it locks the table while it runs: about a second for 20,000
case studies); it cannot run inside a transaction, hence `atomic = False`.
"""

from django.db import migrations

TABLE = "catalogue_casestudy"


def keep_rows_inline(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(TABLE)
    for sql in [f"ALTER TABLE {table} SET (toast_tuple_target = 8160)", f"VACUUM FULL {table}"]:
        schema_editor.execute(sql)


def toast_past_2_kb(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        sql = f"ALTER TABLE {schema_editor.quote_name(TABLE)} RESET (toast_tuple_target)"
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalogue", "0012_case_study_page"),
    ]

    operations = [migrations.RunPython(keep_rows_inline, toast_past_2_kb)]
