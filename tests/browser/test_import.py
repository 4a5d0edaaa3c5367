"""Marketing imports a trade-show list in a real browser: a bad row is reported, the error report is
downloaded, the corrected file is uploaded, and the clean file is imported."""

from pathlib import Path

from playwright.sync_api import expect

from leads.models import Company, ImportJob, Lead
from org.models import Team
from org.services import user_create

from .conftest import browser_db, log_in

pytestmark = browser_db
PASSWORD = "mkt-pass-2024"

HEADER = "会社名,氏名,部署,メールアドレス,電話番号,住所,業種\r\n"
GOOD = (
    "株式会社アオバ技研,山田 太郎,営業部,yamada@aoba-giken.co.jp,03-1234-5678,東京都千代田区丸の内1-1,製造業\r\n"
    "㈱アオバ技研,鈴木　花子,総務部,suzuki@aoba-giken.co.jp,０３－１２３４－５６７９,東京都千代田区丸の内1-1,製造業\r\n"
)
BAD_ROW = "ツバサ建設(株),中村 翔,工務部,nakamura＠@tsubasa.co.jp,092-123-4567,福岡県福岡市博多区,建設業\r\n"
FIXED_ROW = "ツバサ建設(株),中村 翔,工務部,nakamura@tsubasa.co.jp,092-123-4567,福岡県福岡市博多区,建設業\r\n"


def csv_file(name: str, text: str) -> dict:
    # Japanese Excel saves CSV as Shift_JIS.
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("cp932")}


def test_marketing_fixes_a_bad_row_and_imports_the_file(page):
    sdr = Team.objects.create(name="SDR", kind=Team.Kind.SDR, placement=Team.Placement.INDEPENDENT)
    user_create(username="mkt", password=PASSWORD, role="marketing", last_name="高田", first_name="舞")

    log_in(page, "mkt", PASSWORD)
    page.get_by_role("link", name="Import leads").click()
    upload = page.get_by_test_id("upload-form")
    upload.locator("input[name=file]").set_input_files(csv_file("展示会.csv", HEADER + GOOD + BAD_ROW))
    upload.locator("select[name=source]").select_option(label="Trade show")
    upload.locator("select[name=team]").select_option(label="SDR")
    upload.locator("button[type=submit]").click()

    # The columns were recognised from the Japanese headings; the preview shows the rows as they will be stored.
    expect(page.get_by_test_id("job-status")).to_have_text("Uploaded")
    columns = page.get_by_test_id("columns-form")
    expect(columns.locator("select[name=col_company_name]")).to_have_value("会社名")
    expect(columns.locator("select[name=col_full_name]")).to_have_value("氏名")
    expect(columns.locator("select[name=col_address]")).to_have_value("住所")
    preview = page.get_by_test_id("preview-row")
    expect(preview).to_have_count(3)
    expect(preview.nth(1)).to_contain_text("03-1234-5679")
    page.get_by_test_id("validate").click()

    # The bad row is reported; importing everything is not offered.
    expect(page.get_by_test_id("job-status")).to_have_text("Validated")
    report = page.get_by_test_id("error-row")
    expect(report).to_have_count(1)
    expect(report.first).to_have_attribute("data-row", "4")
    expect(report.first).to_contain_text("メールアドレス: “nakamura＠@tsubasa.co.jp” is not an email address.")
    expect(page.get_by_test_id("import-all")).to_have_count(0)
    expect(page.get_by_test_id("import-valid")).to_contain_text("Import only the 2 valid rows (skip 1)")
    with page.expect_download() as download:
        page.get_by_test_id("error-csv").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.splitlines()[0] == "Row,会社名,氏名,部署,メールアドレス,電話番号,住所,業種,Errors"
    assert "is not an email address" in content.splitlines()[1]
    assert Lead.objects.count() == 0

    # The corrected file goes into the same import and is checked again.
    file_form = page.get_by_test_id("file-form")
    file_form.locator("input[name=file]").set_input_files(csv_file("展示会_修正.csv", HEADER + GOOD + FIXED_ROW))
    file_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("error-report")).to_have_count(0)
    expect(page.get_by_test_id("import-all")).to_have_text("Import 3 leads")
    page.get_by_test_id("import-all").click()

    expect(page.get_by_test_id("job-status")).to_have_text("Imported")
    expect(page.get_by_test_id("imported-count")).to_have_text("3")
    expect(page.get_by_test_id("companies-count")).to_have_text("2")
    job = ImportJob.objects.get()
    assert (job.file_name, job.status, job.mode) == ("展示会_修正.csv", "done", "all")
    assert sorted(Lead.objects.values_list("email", "team", "owner")) == [
        ("nakamura@tsubasa.co.jp", sdr.pk, None),
        ("suzuki@aoba-giken.co.jp", sdr.pk, None),
        ("yamada@aoba-giken.co.jp", sdr.pk, None),
    ]
    assert Company.objects.count() == 2
