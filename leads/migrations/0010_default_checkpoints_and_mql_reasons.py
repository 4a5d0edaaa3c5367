from django.db import migrations

# (source code, [(title ja, title en, what to do ja, what to do en, what to send)])
CHECKPOINTS = [
    (
        "trade_show",
        [
            (
                "現状のヒアリング",
                "Hear the current situation",
                "名刺交換の御礼とともに、現在の運用と課題を伺う。",
                "Thank them for meeting at the booth and ask how they work today and what troubles them.",
                "",
            ),
            (
                "小冊子の案内",
                "Offer the booklet",
                "課題に合う小冊子を案内し、送付の了承を得る。",
                "Offer the booklet that fits what was heard and get their agreement to send it.",
                "booklet",
            ),
        ],
    ),
    (
        "seminar",
        [
            (
                "キャンペーンの案内",
                "Present the campaign",
                "参加の御礼とともに、実施中のキャンペーンを案内する。",
                "Thank them for attending and present the running campaign.",
                "campaign",
            ),
            (
                "サービス資料の案内",
                "Offer the service materials",
                "セミナーの内容に沿ってサービス資料を案内・送付する。",
                "Offer and send the service materials that follow on from the seminar.",
                "materials",
            ),
        ],
    ),
    (
        "trial",
        [
            (
                "打ち合わせの打診",
                "Propose a meeting",
                "トライアルの目的と利用状況を伺い、打ち合わせを打診する。",
                "Ask what they want to try and how it goes, and propose a meeting.",
                "meeting_proposal",
            ),
        ],
    ),
    (
        "document_request",
        [
            (
                "資料の受領確認とヒアリング",
                "Confirm the materials arrived and listen",
                "資料が届いたか確認し、請求の背景と検討状況を伺う。",
                "Check the materials arrived; ask why they asked for them and where they stand.",
                "",
            ),
            (
                "打ち合わせの打診",
                "Propose a meeting",
                "検討が具体的なら打ち合わせを打診する。",
                "If they are evaluating in earnest, propose a meeting.",
                "meeting_proposal",
            ),
        ],
    ),
    (
        "web_inquiry",
        [
            (
                "お問い合わせ内容の確認",
                "Answer the inquiry",
                "お問い合わせの内容に回答し、背景を伺う。",
                "Answer what they asked and find out the background.",
                "",
            ),
            (
                "打ち合わせの打診",
                "Propose a meeting",
                "ニーズが確認できれば打ち合わせを打診する。",
                "Once the need is confirmed, propose a meeting.",
                "meeting_proposal",
            ),
        ],
    ),
]

MQL_REJECT_REASONS = [
    ("out_of_target", "対象外の業種・規模", "Outside the target industry or size"),
    ("competitor", "競合・同業他社", "Competitor or peer company"),
    ("individual", "個人・学生", "Individual or student"),
    ("invalid_contact", "連絡先不備・なりすまし", "Invalid or fake contact details"),
    ("duplicate", "重複リード", "Duplicate lead"),
    ("vendor_pitch", "売り込み・営業目的", "Selling to us"),
    ("no_need", "ニーズなし", "No need"),
    ("info_only", "情報収集のみ", "Only gathering information"),
    ("other", "その他", "Other"),
]


def forwards(apps, schema_editor):
    LeadSource = apps.get_model("leads", "LeadSource")
    NurturingCheckpoint = apps.get_model("leads", "NurturingCheckpoint")
    MqlRejectReason = apps.get_model("leads", "MqlRejectReason")
    for code, steps in CHECKPOINTS:
        source = LeadSource.objects.filter(code=code).first()
        if source is None:
            continue
        for position, (title_ja, title_en, do_ja, do_en, send) in enumerate(steps, start=1):
            NurturingCheckpoint.objects.update_or_create(
                source=source,
                position=position,
                defaults={
                    "title_ja": title_ja,
                    "title_en": title_en,
                    "instructions_ja": do_ja,
                    "instructions_en": do_en,
                    "send": send,
                },
            )
    for order, (code, ja, en) in enumerate(MQL_REJECT_REASONS):
        MqlRejectReason.objects.update_or_create(code=code, defaults={"name_ja": ja, "name_en": en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("leads", "0009_nurturing_mql_review_mail_requests")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
