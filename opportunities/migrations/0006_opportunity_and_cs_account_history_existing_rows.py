"""Rows that existed before their history was kept get a starting snapshot, so their replay is complete."""

from django.db import migrations

from org.history import snapshot_existing_rows


def forwards(apps, schema_editor):
    snapshot_existing_rows(apps, "opportunities", "Opportunity")
    snapshot_existing_rows(apps, "opportunities", "CSAccount")


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0005_opportunity_and_cs_account_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
