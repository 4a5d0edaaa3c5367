from django.db import migrations

OUTCOMES = [
    ("no_answer", "不在", "No answer"),
    ("gatekeeper", "受付ブロック", "Blocked by reception"),
    ("callback", "折り返し依頼", "Call back requested"),
    ("info_sent", "資料送付", "Materials sent"),
    ("hearing", "ヒアリング実施", "Hearing done"),
    ("appointment", "アポ獲得", "Meeting booked"),
    ("not_interested", "興味なし", "Not interested"),
    ("wrong_number", "番号違い", "Wrong number"),
]


def forwards(apps, schema_editor):
    CallOutcome = apps.get_model("activities", "CallOutcome")
    for order, (code, ja, en) in enumerate(OUTCOMES):
        CallOutcome.objects.update_or_create(code=code, defaults={"name_ja": ja, "name_en": en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
