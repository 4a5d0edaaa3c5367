"""Rows that existed before their history was kept get a starting snapshot, so their replay is complete."""

from django.db import migrations

from org.history import snapshot_existing_rows


def forwards(apps, schema_editor):
    snapshot_existing_rows(apps, "handoffs", "Handoff")


class Migration(migrations.Migration):
    dependencies = [("handoffs", "0005_handoff_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
