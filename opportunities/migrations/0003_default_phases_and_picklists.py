from django.db import migrations

SERVICES = [
    ("attendance", "勤怠管理", "Attendance"),
    ("payroll", "給与計算", "Payroll"),
    ("expense", "経費精算", "Expenses"),
    ("hr_database", "人事データベース", "HR database"),
]
LOST_REASONS = [
    ("sql_rejected", "FSがSQLを不受理", "SQL rejected by Field Sales"),
    ("sent_back", "停滞のためISへ差し戻し", "Stalled: sent back to Inside Sales"),
    ("price", "価格", "Price"),
    ("competitor", "競合に決定", "Chose a competitor"),
    ("timing", "時期延期", "Postponed"),
    ("no_budget", "予算不足", "No budget"),
    ("no_decision", "意思決定されず", "No decision"),
    ("feature_gap", "機能不足", "Missing features"),
]
# code, ja, en, order, outcome, valid, required fields, rules, may skip into
PHASES = [
    ("01", "初回商談設定", "First meeting set", 10, "open", False, [], [], False),
    ("02", "初回商談実施", "First meeting held", 20, "open", False,
     ["first_meeting_on", "first_meeting_attendees"], ["first_meeting_held", "attendees_positive"], False),
    ("03", "提案・有効商談", "Proposal (valid opportunity)", 30, "open", True,
     ["amount", "service"], ["bant_complete"], False),
    ("04", "交渉", "Negotiation", 40, "open", True, ["expected_close_on", "decision_maker"], [], False),
    ("05W", "受注", "Won", 50, "won", True, ["amount", "contract_on"], ["amount_positive"], False),
    ("05L", "失注", "Lost", 60, "lost", False, ["lost_reason"], [], True),
]


def forwards(apps, schema_editor):
    for model, rows in (("Service", SERVICES), ("LostReason", LOST_REASONS)):
        Model = apps.get_model("opportunities", model)
        for order, (code, ja, en) in enumerate(rows):
            Model.objects.update_or_create(code=code, defaults={"name_ja": ja, "name_en": en, "sort_order": order})
    Phase = apps.get_model("opportunities", "Phase")
    for code, ja, en, order, outcome, valid, fields, rules, skip in PHASES:
        Phase.objects.update_or_create(
            code=code,
            defaults={
                "name_ja": ja,
                "name_en": en,
                "sort_order": order,
                "outcome": outcome,
                "is_valid_opportunity": valid,
                "required_fields": fields,
                "rules": rules,
                "may_skip_into": skip,
                "may_move_back_into": outcome == "open",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
