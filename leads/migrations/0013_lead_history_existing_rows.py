"""Rows that existed before their history was kept get a starting snapshot, so their replay is complete."""

from django.db import migrations

from org.history import snapshot_existing_rows


def forwards(apps, schema_editor):
    snapshot_existing_rows(apps, "leads", "Lead")


class Migration(migrations.Migration):
    dependencies = [("leads", "0012_lead_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
