"""Times the lead import on a generated 100,000-row file: reading it, checking every row (formats,
picklists, duplicates against the database and within the file) and importing the valid rows, then
checking the same file again against the leads it created (every row a duplicate).

    make bench-import                                          # creates and migrates kakehashi_bench_import
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kakehashi_bench_import \
        .venv/bin/python -m bench.imports --rows 20000

The file is written to a temporary folder, in Shift_JIS as Japanese Excel saves CSV, with the mess of real
lists: (株)/㈱/株式会社 before or after the name, full-width digits, phones written four ways, switchboard
numbers shared by colleagues, addresses with postcodes, and about 1 % bad e-mail addresses and 1 % rows
repeated. Each run first empties the companies, leads and imports of the database (whose name must contain
"bench"). Exits 1 when checking plus importing runs below the target rate.
"""

import argparse
import os
import random
import sys
import tempfile
import warnings
from pathlib import Path
from time import perf_counter, process_time

from bench import django_setup

TARGET_ROWS_PER_SECOND = 5000
SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
]
GIVEN = [
    "太郎",
    "花子",
    "一郎",
    "健",
    "美咲",
    "翔",
    "結衣",
    "大輔",
    "由美",
    "直樹",
    "彩",
    "拓也",
    "さくら",
    "陽介",
    "千尋",
    "優",
    "蓮",
    "舞",
    "誠",
    "恵",
]
CORES = [
    "アオバ",
    "サクラ",
    "ミドリ",
    "ツバサ",
    "ヒカリ",
    "ナギサ",
    "イロハ",
    "ソラ",
    "ミナト",
    "カエデ",
    "モミジ",
    "ユズリハ",
    "ツツジ",
    "シラサギ",
    "ツバメ",
    "ホタル",
    "ミズホ",
    "アカネ",
    "キキョウ",
    "ツムギ",
    "ハルカ",
    "ヒイラギ",
]
KINDS = [
    "技研",
    "精機",
    "物流",
    "商事",
    "建設",
    "薬品",
    "不動産",
    "電機",
    "水産",
    "印刷",
    "運輸",
    "食品",
    "工業",
    "システム",
    "ソリューションズ",
    "製作所",
]
PREFECTURES = [
    ("東京都", "千代田区丸の内", "03"),
    ("大阪府", "大阪市北区梅田", "06"),
    ("神奈川県", "横浜市西区", "045"),
    ("愛知県", "名古屋市中村区", "052"),
    ("福岡県", "福岡市博多区", "092"),
    ("北海道", "札幌市中央区", "011"),
    ("宮城県", "仙台市青葉区", "022"),
    ("広島県", "広島市中区", "082"),
]
INDUSTRIES = ["製造業", "情報通信業", "小売業", "卸売業", "運輸・物流", "建設業", "サービス業", "manufacturing", "it"]
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
HEADER = "会社名,氏名,部署,役職,メールアドレス,電話番号,住所,業種,従業員数\r\n"


def company_name(rng: random.Random, number: int) -> str:
    core = f"{rng.choice(CORES)}{rng.choice(KINDS)}{number}"
    return rng.choice([f"株式会社{core}", f"{core}株式会社", f"(株){core}", f"㈱{core}", f"{core}(株)"])


def phone(rng: random.Random, area: str) -> str:
    local = 10 - len(area)
    digits = f"{area}{rng.randrange(10 ** (local - 1), 10**local)}"
    middle = len(area) + (local - 4)
    written = f"{digits[: len(area)]}-{digits[len(area) : middle]}-{digits[middle:]}"
    roll = rng.random()
    if roll < 0.1:
        return written.translate(FULL_WIDTH)
    if roll < 0.2:
        return f"+81 {written[1:]}"
    if roll < 0.3:
        return f"({digits[: len(area)]}){digits[len(area) : middle]}-{digits[middle:]}"
    return written


def generate(path: Path, rows: int, seed: int = 20261130) -> None:
    rng = random.Random(seed)
    lines = [HEADER]
    companies = []
    for i in range(rows):
        if not companies or rng.random() < 0.62:
            prefecture, town, area = rng.choice(PREFECTURES)
            companies.append(
                (company_name(rng, len(companies)), prefecture, town, area, phone(rng, area), rng.randint(5, 3000))
            )
        name, prefecture, town, area, switchboard, employees = rng.choice(companies[-50:])
        person = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        email = f"user{i}@example{i % 997}.co.jp"
        if rng.random() < 0.01:
            email = email.replace("@", "@@")
        line = (
            f"{name},{person},営業部,部長,{email},"
            f"{switchboard if rng.random() < 0.4 else phone(rng, area)},"
            f"〒100-0005 {prefecture}{town}{i % 9 + 1}-1,{rng.choice(INDUSTRIES)},"
            f"{str(employees).translate(FULL_WIDTH) if rng.random() < 0.2 else employees}\r\n"
        )
        lines.append(line)
        if rng.random() < 0.01 and len(lines) < rows + 1:
            lines.append(line)  # the same person twice in the file
    path.write_bytes("".join(lines[: rows + 1]).encode("cp932"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)

    os.environ.setdefault("DEBUG", "false")
    warnings.filterwarnings("ignore", message="No directory at")
    django_setup()
    from django.db import connection

    from leads.models import ImportJob, LeadSource
    from leads.services import (
        import_job_create,
        import_job_run,
        import_job_set_columns,
        import_job_start,
        import_job_validate,
    )
    from org.models import Team, User

    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("The import benchmark empties the leads of its database: use one whose name contains 'bench'.")
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE leads_importjob, leads_leadevent, leads_lead, leads_historicallead, leads_company, "
            "leads_distributioncursor, dashboards_dirtyday CASCADE"
        )
    team, _ = Team.objects.get_or_create(name="Bench SDR", defaults={"kind": Team.Kind.SDR})
    user, _ = User.objects.get_or_create(username="bench-marketing", defaults={"role": User.Role.MARKETING})
    # Trade-show leads are inbound: the import hands them to these reps in turn.
    for n in range(1, 11):
        User.objects.update_or_create(
            username=f"bench-sdr{n}", defaults={"role": User.Role.IS, "team": team, "on_shift": True}
        )
    source = LeadSource.objects.get(code="trade_show")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "leads.csv"
        started = perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size:.1f} MB, Shift_JIS) in {perf_counter() - started:.1f} s")
        data = path.read_bytes()

    cpu: dict[str, float] = {}
    db_cpu: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")

    def backend_cpu() -> float:
        """The CPU seconds of the database server process serving this connection (same machine only)."""
        try:
            fields = backend.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def timed(label, func):
        started, started_cpu, started_db = perf_counter(), process_time(), backend_cpu()
        result = func()
        cpu[label] = process_time() - started_cpu
        db_cpu[label] = backend_cpu() - started_db
        return result, perf_counter() - started

    job, read_s = timed(
        "read", lambda: import_job_create(actor=user, file_name="leads.csv", data=data, source=source, team=team)
    )

    def validate(job):
        import_job_set_columns(job=job, actor=user, columns=job.columns, team=team, queue=False)
        return import_job_validate(job_id=job.pk)

    job, validate_s = timed("validate", lambda: validate(job))
    valid, bad = job.valid_rows, job.error_rows

    def run(job):
        import_job_start(job=job, actor=user, mode=ImportJob.Mode.VALID_ONLY, queue=False)
        return import_job_run(job_id=job.pk)

    job, import_s = timed("import", lambda: run(job))
    assert job.status == ImportJob.Status.DONE, job.failure

    again, _again_read_s = timed(
        "read", lambda: import_job_create(actor=user, file_name="leads.csv", data=data, source=source, team=team)
    )
    again, again_s = timed("revalidate", lambda: validate(again))

    rows = args.rows
    combined = rows / (validate_s + import_s)
    print()
    print(f"import: {valid:,} leads, {job.companies_created:,} new companies; {bad:,} rows with errors skipped")
    print(f"{'phase':<46} {'rows':>9} {'seconds':>8} {'rows/s':>9} {'python s':>9} {'db s':>6} {'cpu rows/s':>11}")
    for label, seconds, keys in (
        ("read and store the file (Shift_JIS CSV)", read_s, ["read"]),
        ("check every row (formats, picklists, dedupe)", validate_s, ["validate"]),
        ("import (checks again under the lock, inserts)", import_s, ["import"]),
        ("check + import", validate_s + import_s, ["validate", "import"]),
        ("check the same file again (all duplicates)", again_s, ["revalidate"]),
    ):
        python_s, db_s = sum(cpu[k] for k in keys), sum(db_cpu[k] for k in keys)
        print(
            f"{label:<46} {rows:>9,} {seconds:>8.2f} {rows / seconds:>9,.0f} {python_s:>9.2f} {db_s:>6.2f}"
            f" {rows / (python_s + db_s):>11,.0f}"
        )
    load = os.getloadavg()
    print(
        f"\nload average {load[0]:.2f} / {load[1]:.2f} on {os.cpu_count()} cores. The import works one step at a "
        "time (Python, then the database, then Python), so on an idle machine its time is close to python s + db s; "
        "the last column is the rate that sum gives."
    )
    print()
    print(f"second check: {again.error_rows:,} rows reported, {again.valid_rows:,} valid (nothing would be imported)")
    ok = combined >= TARGET_ROWS_PER_SECOND and again.valid_rows == 0
    verdict = "met" if ok else "MISSED"
    print(f"target: check + import >= {TARGET_ROWS_PER_SECOND:,} rows/s and nothing new on re-import: {verdict}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
