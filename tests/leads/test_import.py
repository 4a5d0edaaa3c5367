"""Lead import: the messy real-world file and its exact error report, the import itself (all or only the
valid rows, all or nothing), re-importing, the command, and who may import."""

import csv
import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from dashboards.models import DirtyDay
from leads.models import Campaign, Company, ImportJob, ImportMapping, Lead, LeadEvent, LeadSource, Origin
from leads.services import (
    import_job_create,
    import_job_replace_file,
    import_job_run,
    import_job_set_columns,
    import_job_start,
    import_progress_key,
)
from org.spreadsheet import safe_cell
from tests.helpers import TODAY, field_codes
from tests.leads.factories import CompanyFactory, LeadFactory
from tests.org.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

MESSY = Path(__file__).resolve().parents[1] / "data" / "leads_messy.csv"

INDUSTRIES = (
    "manufacturing (製造業), it (情報通信業), retail (小売業), wholesale (卸売業), logistics (運輸・物流), "
    "construction (建設業), finance (金融・保険), real_estate (不動産業), services (サービス業), "
    "healthcare (医療・福祉), education (教育・学習支援), public (官公庁・自治体)"
)
SOURCES = (
    "web_inquiry (Webお問い合わせ), document_request (資料請求), trade_show (展示会), "
    "seminar (セミナー・ウェビナー), trial (無料トライアル), house_list (ハウスリスト), "
    "target_account (ターゲットアカウント), referral (紹介・パートナー)"
)
PHONE_RULE = "is not a phone number (a Japanese number has 10 digits, 11 for mobiles)."

# The report of leads_messy.csv against the world below: {row: errors}, rows in file order. ``{sato}`` and
# ``{tanaka}`` are the existing leads' ids.
EXPECTED_ERRORS = {
    5: "メールアドレス: lead #{sato} already has the email “sato@sakura-seiki.co.jp”.",
    6: "電話番号: lead #{tanaka} (田中 美咲) already has the phone “+81 45-123-4567”.",
    7: "メールアドレス: “ito@@hayate.jp” is not an email address.",
    8: "会社名: required, but empty.",
    9: "氏名: required, but empty.",
    10: f"業種: unknown industry “飲食業”. Allowed: {INDUSTRIES}.",
    11: f"リードソース: unknown lead source “テレアポ”. Allowed: {SOURCES}.",
    12: "メールアドレス: row 2 has the same email “yamada@aoba-giken.co.jp”.",
    13: f"電話番号: “03-1234” {PHONE_RULE}",
    14: "従業員数: “約三百名” is not a whole number above zero.",
    15: "キャンペーン: campaign “2026秋 展示会” belongs to lead source trade_show, not seminar.",
    21: "Row 20 has the same person at the same company.",
    30: "電話番号: row 4 has the same person and phone “03-3211-4570”.",
    32: "従業員数: “0” is not a whole number above zero.",
    34: f"メールアドレス: “goto at hotaru.jp” is not an email address. / 電話番号: “090-9876-54321” {PHONE_RULE}",
    41: "Lead #{sato} is already 佐藤 健 at 株式会社サクラ精機.",
}
VALID_ROWS = [2, 3, 4, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28, 29, 31, 33, 35, 36, 37, 38, 39, 40]


@pytest.fixture
def world():
    """What Kakehashi holds before the file arrives: two leads the file partly repeats, a trade-show campaign."""
    trade_show = LeadSource.objects.get(code="trade_show")
    Campaign.objects.create(name="2026秋 展示会", source=trade_show)
    sakura = CompanyFactory(name="株式会社サクラ精機")
    sato = LeadFactory(
        company=sakura, last_name="佐藤", first_name="健", email="sato@sakura-seiki.co.jp", phone="03-3211-4567"
    )
    tanaka = LeadFactory(
        company=CompanyFactory(name="ミドリ物流株式会社"), last_name="田中", first_name="美咲", phone="045-123-4567"
    )
    return {"source": trade_show, "sato": sato, "tanaka": tanaka, "sakura": sakura}


@pytest.fixture
def sdr():
    return TeamFactory(name="SDR 東京")


def expected_errors(world) -> dict[int, str]:
    ids = {"sato": world["sato"].pk, "tanaka": world["tanaka"].pk}
    return {row: message.format(**ids) for row, message in EXPECTED_ERRORS.items()}


def validated(user, *, data: bytes, name: str, source, team=None, django_capture_on_commit_callbacks) -> ImportJob:
    job = import_job_create(actor=user, file_name=name, data=data, source=source, team=team)
    with django_capture_on_commit_callbacks(execute=True):
        import_job_set_columns(job=job, actor=user, columns=job.columns, team=team)
    job.refresh_from_db()
    return job


def imported(job, user, mode, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        import_job_start(job=job, actor=user, mode=mode)
    job.refresh_from_db()
    return job


def report_csv(client, job) -> list[list[str]]:
    response = client.get(reverse("leads:import_errors", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_messy_file_gives_the_exact_error_report(client, marketer, world, django_capture_on_commit_callbacks):
    job = validated(
        marketer,
        data=MESSY.read_bytes(),
        name="leads_messy.csv",
        source=world["source"],
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    assert job.encoding == "utf-8-sig"
    assert job.columns == {
        "company_name": "会社名",
        "full_name": "氏名",
        "department": "部署",
        "title": "役職",
        "email": "メールアドレス",
        "phone": "電話番号",
        "address": "住所",
        "industry": "業種",
        "employee_count": "従業員数",
        "source": "リードソース",
        "campaign": "キャンペーン",
    }
    assert (job.status, job.total_rows, job.valid_rows, job.error_rows) == ("validated", 39, 23, 16)
    client.force_login(marketer)
    rows = report_csv(client, job)
    original = list(csv.reader(io.StringIO(MESSY.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["Row", *original[0], "Errors"]
    # Cells as uploaded, those a spreadsheet would run as formulas (+81 ...) written as text.
    assert rows[1:] == [
        [str(row), *map(safe_cell, original[row - 1]), message] for row, message in expected_errors(world).items()
    ]
    # Nothing is imported by validating.
    assert Lead.objects.count() == 2


def test_a_shift_jis_export_and_an_excel_workbook_give_the_same_report(
    marketer, world, django_capture_on_commit_callbacks
):
    text = MESSY.read_text(encoding="utf-8-sig")
    workbook = Workbook()
    sheet = workbook.active
    for record in csv.reader(io.StringIO(text)):
        sheet.append(record)
    buffer = io.BytesIO()
    workbook.save(buffer)

    reports = {}
    for name, data in (("leads.csv", text.encode("cp932")), ("leads.xlsx", buffer.getvalue())):
        job = validated(
            marketer,
            data=data,
            name=name,
            source=world["source"],
            django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
        )
        reports[name] = {entry["row"]: entry["errors"] for entry in job.report}
        assert job.encoding == ("cp932" if name.endswith(".csv") else "")

    assert reports["leads.csv"] == reports["leads.xlsx"]
    assert sorted(reports["leads.csv"]) == sorted(EXPECTED_ERRORS)


def test_import_all_is_refused_until_the_file_is_clean(marketer, world, django_capture_on_commit_callbacks):
    job = validated(
        marketer,
        data=MESSY.read_bytes(),
        name="leads_messy.csv",
        source=world["source"],
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    with pytest.raises(ValidationError) as error:
        import_job_start(job=job, actor=marketer, mode=ImportJob.Mode.ALL)
    assert field_codes(error.value) == {"mode": ["file_not_clean"]}
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.VALIDATED
    assert Lead.objects.count() == 2


def test_importing_the_valid_rows(marketer, world, sdr, frozen, django_capture_on_commit_callbacks):
    job = validated(
        marketer,
        data=MESSY.read_bytes(),
        name="leads_messy.csv",
        source=world["source"],
        team=sdr,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    DirtyDay.objects.all().delete()
    job = imported(job, marketer, ImportJob.Mode.VALID_ONLY, django_capture_on_commit_callbacks)

    assert (job.status, job.imported_rows, job.companies_created, job.error_rows) == ("done", 23, 19, 16)
    assert job.rows == []
    new = Lead.objects.exclude(pk__in=[world["sato"].pk, world["tanaka"].pk])
    assert new.count() == 23
    assert set(new.values_list("status", "next_approach_on", "team", "owner", "origin")) == {
        ("new", TODAY, sdr.pk, None, Origin.INBOUND)
    }
    # ㈱アオバ技研 and 株式会社アオバ技研 are one company; the サクラ精機 lead joins the existing company.
    aoba = Company.objects.get(name_key="アオバ技研")
    assert sorted(aoba.leads.values_list("last_name", "first_name", "phone")) == [
        ("山田", "太郎", "03-1234-5678"),
        ("木村", "拓也", "03-1234-5678"),
        ("鈴木", "花子", "03-1234-5679"),
    ]
    assert (aoba.name, aoba.prefecture, aoba.employee_count, aoba.industry.code) == (
        "株式会社アオバ技研",
        "13",
        120,
        "manufacturing",
    )
    takahashi = Lead.objects.get(last_name="高橋")
    assert takahashi.company_id == world["sakura"].pk
    assert (takahashi.email, takahashi.phone_key) == ("takahashi@sakura-seiki.co.jp", "0332114570")
    assert Company.objects.get(name_key="nextage").leads.count() == 2
    hikari = Lead.objects.get(email="inoue@hikari-denki.co.jp")
    assert (hikari.company.name, hikari.last_name, hikari.first_name) == ("ヒカリ電機株式会社", "イノウエ", "タケシ")
    assert Lead.objects.get(email="maeda@tsutsuji.co.jp").source.code == "document_request"
    assert Lead.objects.get(email="yamada@aoba-giken.co.jp").campaign.name == "2026秋 展示会"
    events = LeadEvent.objects.filter(lead__in=new)
    assert set(events.values_list("kind", "to_status", "actor")) == {("created", "new", marketer.pk)}
    assert events.get(lead__email="yamada@aoba-giken.co.jp").note == f"import #{job.pk} row 2"
    # The bulk insert marks the metrics' day itself.
    assert list(DirtyDay.objects.values_list("day", flat=True)) == [TODAY]


def test_re_importing_the_same_file_creates_nothing(marketer, world, django_capture_on_commit_callbacks):
    kwargs = {
        "data": MESSY.read_bytes(),
        "name": "leads_messy.csv",
        "source": world["source"],
        "django_capture_on_commit_callbacks": django_capture_on_commit_callbacks,
    }
    imported(validated(marketer, **kwargs), marketer, ImportJob.Mode.VALID_ONLY, django_capture_on_commit_callbacks)
    leads, companies = Lead.objects.count(), Company.objects.count()

    again = validated(marketer, **kwargs)

    assert (again.valid_rows, again.error_rows) == (0, 39)
    codes = {entry["row"]: [e["code"] for e in entry["errors"]] for entry in again.report}
    assert codes[2] == ["duplicate_email"]
    assert codes[20] == ["duplicate_phone"]
    with pytest.raises(ValidationError) as error:
        import_job_start(job=again, actor=marketer, mode=ImportJob.Mode.VALID_ONLY)
    assert field_codes(error.value) == {"mode": ["nothing_valid"]}
    assert (Lead.objects.count(), Company.objects.count()) == (leads, companies)


CLEAN = (
    "会社名,氏名,メール,電話\n"
    "株式会社ワカバ,野村 優,nomura@wakaba.jp,03-9999-0001\n"
    "株式会社ワカバ,原 玲奈,hara@wakaba.jp,03-9999-0001\n"
)


def test_import_all_is_all_or_nothing_when_a_duplicate_appears_after_validation(
    marketer, django_capture_on_commit_callbacks
):
    source = LeadSource.objects.get(code="house_list")
    job = validated(
        marketer,
        data=CLEAN.encode(),
        name="clean.csv",
        source=source,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert (job.valid_rows, job.error_rows) == (2, 0)
    LeadFactory(email="hara@wakaba.jp")  # someone else brought her in meanwhile

    job = imported(job, marketer, ImportJob.Mode.ALL, django_capture_on_commit_callbacks)

    assert (job.status, job.valid_rows, job.error_rows, job.imported_rows) == ("validated", 1, 1, 0)
    assert "nothing was imported" in job.failure
    assert not Lead.objects.filter(email="nomura@wakaba.jp").exists()
    assert not Company.objects.filter(name_key="ワカバ").exists()


def test_a_clean_outbound_list_imports_every_row(marketer, django_capture_on_commit_callbacks):
    source = LeadSource.objects.get(code="house_list")
    job = validated(
        marketer,
        data=CLEAN.encode(),
        name="clean.csv",
        source=source,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    job = imported(job, marketer, ImportJob.Mode.ALL, django_capture_on_commit_callbacks)

    assert (job.status, job.mode, job.imported_rows, job.companies_created) == ("done", "all", 2, 1)
    # Two people behind one switchboard number are two leads; a house list is called out to.
    assert list(Lead.objects.order_by("pk").values_list("last_name", "origin")) == [
        ("野村", "outbound"),
        ("原", "outbound"),
    ]


def test_a_file_that_is_not_text_is_refused_with_what_to_do(marketer):
    with pytest.raises(ValidationError) as error:
        import_job_create(
            actor=marketer, file_name="leads.csv", data=b"\x81\xff\xfe\x00garbage", source=LeadSource.objects.first()
        )
    assert field_codes(error.value) == {"file": ["undecodable"]}
    assert "CSV UTF-8" in error.value.messages[0]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty"), ("会社名,氏名\n".encode(), "no_rows"), (b"PK\x03\x04broken", "bad_excel")],
)
def test_unreadable_files(marketer, data, code):
    with pytest.raises(ValidationError) as error:
        import_job_create(actor=marketer, file_name="leads.csv", data=data, source=LeadSource.objects.first())
    assert field_codes(error.value) == {"file": [code]}


def test_a_mapping_needs_the_company_and_the_name(marketer):
    job = import_job_create(actor=marketer, file_name="x.csv", data=b"A,B\n1,2\n", source=LeadSource.objects.first())
    with pytest.raises(ValidationError) as error:
        import_job_set_columns(job=job, actor=marketer, columns={"email": "B", "phone": "Z"})
    assert set(error.value.error_dict) == {"company_name", "full_name", "phone"}


def test_a_saved_mapping_is_offered_for_the_next_file_of_the_source(marketer, sdr):
    source = LeadSource.objects.get(code="seminar")
    data = "法人,担当,連絡先メール\n株式会社ワカバ,野村 優,nomura@wakaba.jp\n".encode()
    job = import_job_create(actor=marketer, file_name="seminar.csv", data=data, source=source)
    assert job.columns == {}
    columns = {"company_name": "法人", "full_name": "担当", "email": "連絡先メール"}
    import_job_set_columns(job=job, actor=marketer, columns=columns, team=sdr, save_as="ウェビナー出席者")

    mapping = ImportMapping.objects.get(source=source)
    assert (mapping.name, mapping.columns, mapping.team, mapping.updated_by) == (
        "ウェビナー出席者",
        columns,
        sdr,
        marketer,
    )
    following = import_job_create(actor=marketer, file_name="seminar-2.csv", data=data, source=source, mapping=mapping)
    assert (following.columns, following.team) == (columns, sdr)


def test_a_corrected_file_replaces_the_rows_and_keeps_the_mapping(marketer, django_capture_on_commit_callbacks):
    source = LeadSource.objects.get(code="house_list")
    bad = "会社名,氏名,メール\n株式会社ワカバ,野村 優,nomura@@wakaba.jp\n"
    job = validated(
        marketer,
        data=bad.encode(),
        name="list.csv",
        source=source,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert job.error_rows == 1

    job = import_job_replace_file(
        job=job, actor=marketer, file_name="list-fixed.csv", data=bad.replace("@@", "@").encode()
    )

    assert (job.status, job.file_name, job.error_rows, job.report) == ("uploaded", "list-fixed.csv", 0, [])
    assert job.columns == {"company_name": "会社名", "full_name": "氏名", "email": "メール"}


def test_is_reps_cannot_import(is_rep):
    with pytest.raises(ValidationError):
        import_job_create(actor=is_rep, file_name="x.csv", data=CLEAN.encode(), source=LeadSource.objects.first())


# -- the command --------------------------------------------------------------------------------------------


def test_command_dry_run_prints_the_report_and_imports_nothing(admin, world, capsys):
    call_command("import_leads", str(MESSY), "--source", "trade_show", "--dry-run")

    out = capsys.readouterr().out
    assert "leads_messy.csv (utf-8-sig): 39 rows." in out
    assert "Valid rows: 23. Rows with errors: 16." in out
    assert (
        f"  row 5: メールアドレス: lead #{world['sato'].pk} already has the email “sato@sakura-seiki.co.jp”.\n" in out
    )
    assert "  row 21: Row 20 has the same person at the same company.\n" in out
    assert "Dry run: nothing imported." in out
    assert Lead.objects.count() == 2


def test_command_refuses_a_dirty_file_then_imports_its_valid_rows(admin, world, capsys):
    with pytest.raises(CommandError, match="Nothing imported: 16 rows have errors"):
        call_command("import_leads", str(MESSY), "--source", "trade_show")
    assert Lead.objects.count() == 2

    call_command("import_leads", str(MESSY), "--source", "trade_show", "--valid-only")

    assert "Imported 23 leads (19 new companies); skipped 16 rows." in capsys.readouterr().out
    assert Lead.objects.count() == 25


def test_command_uses_a_saved_mapping(admin, tmp_path, capsys):
    source = LeadSource.objects.get(code="seminar")
    ImportMapping.objects.create(source=source, name="出席者", columns={"company_name": "法人", "full_name": "担当"})
    path = tmp_path / "attendees.csv"
    path.write_text("法人,担当\n株式会社ワカバ,野村 優\n", encoding="cp932")

    call_command("import_leads", str(path), "--source", "seminar", "--mapping", "出席者")

    assert Lead.objects.get().company.name == "株式会社ワカバ"
    with pytest.raises(CommandError, match=r"No mapping 'other' for seminar\. Saved: 出席者"):
        call_command("import_leads", str(path), "--source", "seminar", "--mapping", "other")


# -- pages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("is", 403), ("fs", 403), ("marketing", 200), ("manager", 200)])
def test_who_may_open_the_import_page(client, role, status):
    user = UserFactory(**({} if role == "is" else {role: True}))
    client.force_login(user)
    assert client.get(reverse("leads:imports")).status_code == status


def test_a_manager_sees_only_their_own_imports(client, marketer):
    job = import_job_create(actor=marketer, file_name="x.csv", data=CLEAN.encode(), source=LeadSource.objects.first())
    client.force_login(UserFactory(manager=True))
    assert client.get(reverse("leads:import_detail", args=[job.pk])).status_code == 404
    client.force_login(UserFactory(marketing=True))
    assert client.get(reverse("leads:import_detail", args=[job.pk])).status_code == 200


def test_upload_map_validate_and_import_through_the_pages(client, marketer, django_capture_on_commit_callbacks):
    client.force_login(marketer)
    source = LeadSource.objects.get(code="house_list")
    upload = io.BytesIO(CLEAN.encode("cp932"))
    upload.name = "list.csv"
    response = client.post(reverse("leads:imports"), {"file": upload, "source": source.pk})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="preview-row"' in page
    assert "nomura@wakaba.jp" in page

    form = {"col_company_name": "会社名", "col_full_name": "氏名", "col_email": "メール", "col_phone": "電話"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("leads:import_columns", args=[job.pk]), form).status_code == 302
    page = client.get(reverse("leads:import_detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-all"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("leads:import_run", args=[job.pk]), {"mode": "all"})

    job.refresh_from_db()
    assert (job.status, job.imported_rows) == ("done", 2)


def test_a_mapping_without_the_company_column_is_answered_on_the_form(client, marketer):
    client.force_login(marketer)
    job = import_job_create(actor=marketer, file_name="x.csv", data=CLEAN.encode(), source=LeadSource.objects.first())
    response = client.post(reverse("leads:import_columns", args=[job.pk]), {"col_full_name": "氏名"})
    assert response.status_code == 400
    assert "Choose the column that holds the company name." in response.content.decode()
    assert ImportJob.objects.get(pk=job.pk).status == "uploaded"


def test_the_progress_partial_polls_while_running_and_stops_when_done(client, marketer):
    client.force_login(marketer)
    job = import_job_create(actor=marketer, file_name="x.csv", data=CLEAN.encode(), source=LeadSource.objects.first())
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING, mode="all")
    cache.set(import_progress_key(job.pk), 1)
    url = reverse("leads:import_progress", args=[job.pk])

    running = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert '<progress max="2" value="1"' in running
    assert "<html" not in running

    import_job_run(job_id=job.pk)
    finished = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished
    assert 'data-testid="imported-count">2<' in finished


def test_an_unreadable_upload_is_answered_on_the_form(client, marketer):
    client.force_login(marketer)
    upload = io.BytesIO(b"\x81\xff\xfe\x00garbage")
    upload.name = "list.csv"
    response = client.post(
        reverse("leads:imports"), {"file": upload, "source": LeadSource.objects.get(code="house_list").pk}
    )
    assert response.status_code == 400
    assert "The file is neither UTF-8 nor Shift_JIS (CP932) text." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_error_report_is_named_after_the_file(client, marketer, world, django_capture_on_commit_callbacks):
    job = validated(
        marketer,
        data=MESSY.read_bytes(),
        name="展示会リスト.csv",
        source=world["source"],
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    client.force_login(marketer)
    response = client.get(reverse("leads:import_errors", args=[job.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename*=UTF-8''%E5%B1%95%E7%A4%BA%E4%BC%9A%E3%83%AA%E3%82%B9%E3%83%88-errors.csv"
    )


def test_inbound_rows_are_handed_to_the_reps_on_shift_in_turn(marketer, sdr, django_capture_on_commit_callbacks):
    reps = [UserFactory(username=f"sdr{n}", team=sdr) for n in (1, 2, 3)]
    UserFactory(username="off", team=sdr, on_shift=False)
    data = "会社名,氏名,メール\n" + "".join(f"株式会社ミドリ{i},緑川 {i}郎,midori{i}@example.jp\n" for i in range(7))
    job = validated(
        marketer,
        data=data.encode(),
        name="seminar.csv",
        source=LeadSource.objects.get(code="seminar"),
        team=sdr,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    job = imported(job, marketer, ImportJob.Mode.ALL, django_capture_on_commit_callbacks)

    assert job.imported_rows == 7
    owners = list(Lead.objects.order_by("pk").values_list("owner__username", flat=True))
    assert owners == ["sdr1", "sdr2", "sdr3", "sdr1", "sdr2", "sdr3", "sdr1"]
    assert set(Lead.objects.values_list("team", flat=True)) == {sdr.pk}
    created = LeadEvent.objects.filter(kind="created").order_by("lead_id")
    assert [event.to_owner_id for event in created] == [reps[i % 3].pk for i in range(7)]


def test_an_outbound_list_stays_in_the_team_pool(marketer, sdr, django_capture_on_commit_callbacks):
    UserFactory(username="sdr1", team=sdr)
    job = validated(
        marketer,
        data="会社名,氏名\n株式会社ミドリ,緑川 一郎\n".encode(),
        name="list.csv",
        source=LeadSource.objects.get(code="house_list"),
        team=sdr,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )

    imported(job, marketer, ImportJob.Mode.ALL, django_capture_on_commit_callbacks)

    assert list(Lead.objects.values_list("owner", "team", "origin")) == [(None, sdr.pk, Origin.OUTBOUND)]
