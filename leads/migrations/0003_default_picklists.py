from django.db import migrations

INDUSTRIES = [
    ("manufacturing", "製造業", "Manufacturing"),
    ("it", "情報通信業", "IT & telecom"),
    ("retail", "小売業", "Retail"),
    ("wholesale", "卸売業", "Wholesale"),
    ("logistics", "運輸・物流", "Transport & logistics"),
    ("construction", "建設業", "Construction"),
    ("finance", "金融・保険", "Finance & insurance"),
    ("real_estate", "不動産業", "Real estate"),
    ("services", "サービス業", "Services"),
    ("healthcare", "医療・福祉", "Healthcare & welfare"),
    ("education", "教育・学習支援", "Education"),
    ("public", "官公庁・自治体", "Public sector"),
]
SOURCES = [
    ("web_inquiry", "Webお問い合わせ", "Web inquiry", "web"),
    ("document_request", "資料請求", "Document request", "web"),
    ("trade_show", "展示会", "Trade show", "trade_show"),
    ("seminar", "セミナー・ウェビナー", "Seminar / webinar", "seminar"),
    ("trial", "無料トライアル", "Free trial", "trial"),
    ("house_list", "ハウスリスト", "House list", "list"),
    ("target_account", "ターゲットアカウント", "Target account", "list"),
    ("referral", "紹介・パートナー", "Referral / partner", "referral"),
]
RECYCLE_REASONS = [
    ("timing", "導入時期が先", "Timing is later"),
    ("budget", "予算未確保", "No budget yet"),
    ("no_authority", "決裁者に未接触", "Decision maker not reached"),
    ("competitor", "競合検討中・他社導入済み", "Evaluating or using a competitor"),
    ("no_need", "現時点でニーズなし", "No need for now"),
    ("info_gathering", "情報収集段階", "Only gathering information"),
    ("unreachable", "担当者不在・連絡取れず", "Contact unreachable"),
    ("internal", "社内調整中", "Internal alignment in progress"),
]


def forwards(apps, schema_editor):
    for model, rows in (("Industry", INDUSTRIES), ("RecycleReason", RECYCLE_REASONS)):
        Model = apps.get_model("leads", model)
        for order, (code, ja, en) in enumerate(rows):
            Model.objects.update_or_create(code=code, defaults={"name_ja": ja, "name_en": en, "sort_order": order})
    LeadSource = apps.get_model("leads", "LeadSource")
    for order, (code, ja, en, channel) in enumerate(SOURCES):
        LeadSource.objects.update_or_create(
            code=code, defaults={"name_ja": ja, "name_en": en, "sort_order": order, "channel": channel}
        )


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
