from django.db import migrations

# Monthly SQLs one FS rep can fully handle, by segment (the seed: 1–30 employees 60, 1000+ 30).
LIMITS = [("1-30", 60), ("31-100", 50), ("101-300", 40), ("301-999", 35), ("1000+", 30)]


def forwards(apps, schema_editor):
    FSCapacityRule = apps.get_model("handoffs", "FSCapacityRule")
    for band, limit in LIMITS:
        FSCapacityRule.objects.update_or_create(size_band=band, user=None, defaults={"monthly_limit": limit})


class Migration(migrations.Migration):
    dependencies = [("handoffs", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
