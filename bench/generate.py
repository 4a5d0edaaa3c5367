"""Fills a PostgreSQL database with an IS department's worth of history, for bench/is_workspace.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kakehashi_bench .venv/bin/python -m bench.generate

Teams, users and campaigns (a handful of rows) go through the ORM and ``org.services.user_create``.
Companies, leads and activities are made inside PostgreSQL by ``INSERT ... SELECT FROM generate_series``,
one transaction per table: a round trip per row would take an hour at this volume.

The shape, per lead: 5 % sit unowned in a team pool (status new); the rest are spread unevenly over
the IS reps (the busiest holds seven times the lightest's load) as 30 % new, 45 % working,
12 % recycled, 6 % nurturing, 7 % disqualified; 1 % of open leads are hot. Open leads are due from
30 days ago to 60 days ahead, so today's queue holds a few hundred to a couple of thousand per rep.
Activities (80 % calls, 20 % mails) fall on worked leads only, with an exponential number per lead
(mean about 17, a few percent past 50), by the lead's owner on a weekday-agnostic office hour over
the lead's life of up to three years. Random draws are seeded, so a run repeats the previous one.
"""

import argparse
import math
import sys
import time
from contextlib import contextmanager
from datetime import date

from bench import IS_REP_PREFIX, TEAM_PREFIX, USERNAME_PREFIX, django_setup

POOL_SHARE = 0.05
CAMPAIGN_SHARE = 0.3
HOT_SHARE = 0.01
# Cumulative upper bounds of the owned leads' statuses: new, working, recycled, nurturing, disqualified.
STATUS_BOUNDS = (0.30, 0.75, 0.87, 0.93)
OPEN_STATUSES = ["new", "working", "nurturing", "recycled"]
CALL_SHARE = 0.8
CONNECT_RATE = 0.3
EFFECTIVE_RATE = 0.4
SEED = 0.42


def _words(text: str) -> list[str]:
    return text.split()


LAST_NAMES = _words(
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 "
    "山口 松本 井上 木村 林 斎藤 清水 山崎 森 池田 橋本 阿部 石川 山下 "
    "中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本"
)
FIRST_NAMES = _words(
    "翔太 大輔 健太 拓也 直樹 亮 誠 剛 隆 浩二 陽子 美咲 由美 恵 愛 "
    "真由美 彩 千尋 智子 舞 悠人 蓮 陽菜 結衣 さくら 大翔 翼 和也 裕子 "
    "久美子"
)
DEPARTMENTS = _words("営業部 情報システム部 経営企画部 総務部 マーケティング部 人事部 購買部 DX推進室 製造部 財務部")
TITLES = ["部長", "課長", "係長", "主任", "担当", "マネージャー", "取締役", "室長", ""]
COMPANY_STEMS = _words(
    "東洋 日本 大和 三和 富士 北斗 中央 西日本 東京 関西 新栄 昭和 アオバ さくら ミライ 青空 北辰 旭 瑞穂 丸八"
)
COMPANY_MIDDLES = _words(
    "精密 情報 電子 産業 総合 国際 化成 物流 食品 住設 医療 機械 通信 環境 開発 技研 興産 ネット 光学 商会"
)
COMPANY_KINDS = _words(
    "テック システムズ 工業 製作所 商事 物産 電機 建設 ホールディングス ソリューションズ サービス ラボ"
)
NEEDS = ["架電リストの管理をExcelから脱却したい", "営業とマーケの連携を強化したい", "商談化率を可視化したい"]
NURTURE_REASONS = ["来期予算で検討", "情報収集段階", "担当者異動のため様子見", "競合と契約中（更新は来年）"]
DISQUALIFY_REASONS = ["ターゲット外（従業員規模）", "個人利用", "重複リード", "連絡先不備", "競合他社"]
NOTES = [
    "受付で不在。午後に再架電。",
    "担当者と会話。資料送付を希望。",
    "現状はExcel管理とのこと。課題感あり。",
    "決裁者は部長。来月打ち合わせ可能。",
    "予算は下期に確定予定。",
    "他社ツールを比較検討中。",
    "メール返信あり。日程調整中。",
    "折り返し依頼。明日10時に架電。",
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=12, help="IS reps, spread over 3 IS teams (default 12)")
    parser.add_argument("--fs-reps", type=int, default=8, help="FS reps, spread over 2 FS teams (default 8)")
    parser.add_argument(
        "--skip-if-present",
        action="store_true",
        help="do nothing when the database already holds at least this many leads and activities",
    )
    args = parser.parse_args(argv)
    if args.leads < 1 or args.activities < 0 or args.reps < 1 or args.fs_reps < 0:
        parser.error("--leads and --reps must be positive, --activities and --fs-reps not negative")

    django_setup()
    from django.db import connection

    if args.skip_if_present and _holds_enough(leads=args.leads, activities=args.activities):
        print(f"{connection.settings_dict['NAME']} already holds the leads and activities asked for; not regenerating.")
        return
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(
            f"The generator first wipes every company, lead and activity; {name!r} does not look like a "
            "benchmark database. Point DATABASE_URL at one whose name contains 'bench' (e.g. kakehashi_bench)."
        )
    generate(leads=args.leads, activities=args.activities, is_reps=args.reps, fs_reps=args.fs_reps)


def _holds_enough(*, leads: int, activities: int) -> bool:
    from activities.models import Activity
    from leads.models import Lead
    from org.models import User

    return (
        User.objects.filter(username__startswith=IS_REP_PREFIX).exists()
        and Lead.objects.count() >= leads
        and Activity.objects.count() >= activities
    )


def generate(*, leads: int, activities: int, is_reps: int, fs_reps: int) -> None:
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    companies = math.ceil(leads / 1.5)
    started = time.perf_counter()
    print(f"Generating into {connection.settings_dict['NAME']} (today is {today}):")
    with _step("wipe previous data"):
        _wipe()
    with _step("teams, users, campaigns") as rows:
        org = _create_org(is_reps=is_reps, fs_reps=fs_reps, today=today)
        rows.append(len(org["is_reps"]) + len(org["fs_reps"]))
    with _step("leads_company") as rows:
        rows.append(_insert_companies(count=companies))
    with _step("leads_lead") as rows:
        rows.append(_insert_leads(count=leads, companies=companies, today=today, org=org))
    with _step("activities_activity") as rows:
        rows.append(_insert_activities(count=activities, org=org))
    with _step("leads_lead.last_activity_at") as rows:
        rows.append(_set_last_activity())
    with _step("VACUUM, ANALYZE"):
        _vacuum_analyze()
    print(f"{'total':<30}{'':>12}{time.perf_counter() - started:>9.1f} s")


@contextmanager
def _step(label: str):
    rows: list[int] = []
    started = time.perf_counter()
    yield rows
    count = f"{rows[0]:,}" if rows else ""
    print(f"  {label:<28}{count:>12}{time.perf_counter() - started:>9.1f} s", flush=True)


@contextmanager
def _bulk_load(cursor, table: str):
    """Inside the caller's transaction: drops the table's secondary indexes and foreign keys, and puts
    them back after the load. One b-tree build per index and one join per foreign key beat
    maintaining ten indexes and firing five deferred RI triggers for each of a million rows, several
    times over. The definitions come from the catalogue, so what is rebuilt is what the migrations made;
    a failure rolls the drops back with the rows."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign_keys = cursor.fetchall()
    for name, _definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    # Builds sort in memory and use the second core rather than spill to disk.
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def _seeded_cursor():
    """A cursor whose random() repeats from run to run, and a pick(array, draw) helper: an inlinable SQL
    function, so each row's choice costs an array subscript."""
    from django.db import connection

    cursor = connection.cursor()
    cursor.execute(f"SELECT setseed({SEED})")
    cursor.execute(
        "CREATE OR REPLACE FUNCTION pg_temp.pick(items anyarray, draw double precision) RETURNS anyelement "
        "LANGUAGE sql IMMUTABLE AS $$ SELECT items[1 + floor(draw * cardinality(items))::int] $$"
    )
    return cursor


def _wipe() -> None:
    from django.db import connection, transaction

    from org.models import Team, User

    with transaction.atomic(), connection.cursor() as cursor:
        # Everything that hangs off companies goes too: leads, activities, deals, handoffs, history.
        cursor.execute("TRUNCATE leads_company, leads_campaign RESTART IDENTITY CASCADE")
        Team.objects.filter(name__startswith=TEAM_PREFIX).update(manager=None)
        User.objects.filter(username__startswith=USERNAME_PREFIX).delete()
        Team.objects.filter(name__startswith=TEAM_PREFIX).delete()


def _create_org(*, is_reps: int, fs_reps: int, today: date) -> dict:
    """Few rows, so they go through the models and services like any other user would."""
    from django.db import transaction

    from leads.models import Campaign, LeadSource
    from org.models import Team, User
    from org.services import user_create

    with transaction.atomic():
        is_teams = [
            _team(name=f"{TEAM_PREFIX}{label}", kind=kind, placement=Team.Placement.INDEPENDENT)
            for label, kind in (("SDR", Team.Kind.SDR), ("BDR", Team.Kind.BDR), ("Recycle", Team.Kind.RECYCLE))
        ]
        fs_teams = [
            _team(name=f"{TEAM_PREFIX}FS {label}", kind=Team.Kind.FS_SEGMENT, segment=segment)
            for label, segment in (("SMB", "31-100"), ("Enterprise", "1000+"))
        ]
        reps = [
            user_create(
                username=f"{IS_REP_PREFIX}{n + 1:02d}",
                password=None,
                role=User.Role.IS,
                team=is_teams[n % len(is_teams)],
                last_name=LAST_NAMES[n % len(LAST_NAMES)],
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
            )
            for n in range(is_reps)
        ]
        fs = [
            user_create(
                username=f"{USERNAME_PREFIX}fs{n + 1:02d}",
                password=None,
                role=User.Role.FS,
                team=fs_teams[n % len(fs_teams)],
                last_name=LAST_NAMES[-1 - n % len(LAST_NAMES)],
                first_name=FIRST_NAMES[-1 - n % len(FIRST_NAMES)],
            )
            for n in range(fs_reps)
        ]
        campaigns = []
        for code, label in (
            ("trade_show", "展示会"),
            ("seminar", "ウェビナー"),
            ("document_request", "ホワイトペーパー"),
            ("web_inquiry", "リスティング"),
        ):
            source = LeadSource.objects.get(code=code)
            for year in (today.year - 1, today.year):
                campaign = Campaign(name=f"{year} {label}", source=source, starts_on=date(year, 4, 1))
                campaign.full_clean()
                campaign.save()
                campaigns.append(campaign)
    return {"is_reps": reps, "fs_reps": fs, "campaigns": campaigns}


def _team(**fields):
    from org.models import Team

    team = Team(**fields)
    team.full_clean()
    team.save()
    return team


def _insert_companies(*, count: int) -> int:
    from django.db import transaction

    from leads.models import Industry
    from leads.normalize import company_key

    with transaction.atomic(), _seeded_cursor() as cursor, _bulk_load(cursor, "leads_company"):
        # size_band and area are generated columns: PostgreSQL computes them from these.
        cursor.execute(
            """
            INSERT INTO leads_company
                (id, name, name_key, industry_id, employee_count, prefecture, website, phone, created_at, updated_at)
            SELECT
                id,
                '株式会社' || pg_temp.pick(%(stems)s::text[], r_stem) || pg_temp.pick(%(middles)s::text[], r_middle)
                    || pg_temp.pick(%(kinds)s::text[], r_kind),
                '',  -- name_key: set below
                CASE WHEN r_industry < 0.9 THEN pg_temp.pick(%(industries)s::bigint[], r_industry / 0.9) END,
                -- Log-uniform from 1 to 5,000 employees: many small firms, a long tail of large ones.
                CASE WHEN r_size < 0.97 THEN greatest(1, round(exp(r_size / 0.97 * ln(5000))))::int END,
                CASE
                    WHEN r_pref < 0.35 THEN '13'
                    WHEN r_pref < 0.45 THEN '27'
                    WHEN r_pref < 0.52 THEN '14'
                    WHEN r_pref < 0.58 THEN '23'
                    WHEN r_pref < 0.62 THEN '40'
                    ELSE lpad((1 + floor((r_pref - 0.62) / 0.38 * 47))::int::text, 2, '0')
                END,
                'https://www.c' || id || '.example.jp',
                '0' || (3 + floor(r_phone * 6))::int || '-' || lpad((id * 7919 %% 10000)::text, 4, '0')
                    || '-' || lpad((id * 104729 %% 10000)::text, 4, '0'),
                created_at,
                created_at
            FROM (
                SELECT g::bigint AS id, random() AS r_stem, random() AS r_middle, random() AS r_kind,
                       random() AS r_industry, random() AS r_size, random() AS r_pref, random() AS r_phone,
                       now() - random() * interval '4 years' AS created_at
                FROM generate_series(1, %(count)s) AS g
            ) AS draws
            """,
            {
                "count": count,
                "stems": COMPANY_STEMS,
                "middles": COMPANY_MIDDLES,
                "kinds": COMPANY_KINDS,
                "industries": list(Industry.objects.values_list("pk", flat=True)),
            },
        )
        inserted = cursor.rowcount
        # The import's match key (leads.normalize.company_key), computed by the application for every name
        # the draws can make, so the generated companies dedupe like saved ones.
        names = [f"株式会社{s}{m}{k}" for s in COMPANY_STEMS for m in COMPANY_MIDDLES for k in COMPANY_KINDS]
        cursor.execute(
            "UPDATE leads_company AS c SET name_key = k.key "
            "FROM unnest(%s::text[], %s::text[]) AS k(name, key) WHERE c.name = k.name",
            [names, [company_key(name) for name in names]],
        )
        if cursor.rowcount != inserted:
            raise RuntimeError(f"name_key set on {cursor.rowcount} of {inserted} companies")
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads_company', 'id'), %s)", [count])
    return inserted


def _owner_bounds(reps: int) -> list[float]:
    """Lower bounds of each rep's share of the owned leads, for width_bucket: loads rise linearly from
    a quarter of the average for the first rep to 1.75 times it for the last."""
    weights = [0.25 + 1.5 * n / (reps - 1) if reps > 1 else 1.0 for n in range(reps)]
    total = sum(weights)
    bounds, running = [], 0.0
    for weight in weights:
        bounds.append(running / total)
        running += weight
    return bounds


def _insert_leads(*, count: int, companies: int, today: date, org: dict) -> int:
    from django.db import transaction

    from leads.models import LeadSource, RecycleReason

    sources = list(LeadSource.objects.order_by("pk"))
    web_channels = {"web", "trade_show", "seminar", "trial"}
    params = {
        "count": count,
        "companies": companies,
        "today": today,
        "pool_share": POOL_SHARE,
        "campaign_share": CAMPAIGN_SHARE,
        "hot_share": HOT_SHARE,
        "b_new": STATUS_BOUNDS[0],
        "b_working": STATUS_BOUNDS[1],
        "b_recycled": STATUS_BOUNDS[2],
        "b_nurturing": STATUS_BOUNDS[3],
        "open": OPEN_STATUSES,
        "owner_bounds": _owner_bounds(len(org["is_reps"])),
        "owner_ids": [rep.pk for rep in org["is_reps"]],
        "owner_team_ids": [rep.team_id for rep in org["is_reps"]],
        "pool_team_ids": sorted({rep.team_id for rep in org["is_reps"]}),
        "source_ids": [source.pk for source in sources],
        "source_origins": ["inbound" if source.channel in web_channels else "outbound" for source in sources],
        "campaign_ids": [campaign.pk for campaign in org["campaigns"]],
        "campaign_source_ids": [campaign.source_id for campaign in org["campaigns"]],
        "recycle_reason_ids": list(RecycleReason.objects.values_list("pk", flat=True)),
        "last_names": LAST_NAMES,
        "first_names": FIRST_NAMES,
        "departments": DEPARTMENTS,
        "titles": TITLES,
        "needs": NEEDS,
        "nurture_reasons": NURTURE_REASONS,
        "disqualify_reasons": DISQUALIFY_REASONS,
    }
    with transaction.atomic(), _seeded_cursor() as cursor, _bulk_load(cursor, "leads_lead"):
        cursor.execute(
            """
            INSERT INTO leads_lead (
                id, bant_budget, bant_authority, bant_needs, bant_timeframe, last_name, first_name, department,
                title, email, phone, phone_key, origin, status, status_reason, next_approach_on, temperature, score,
                is_hot, hot_since, last_activity_at, created_at, updated_at, campaign_id, company_id, owner_id,
                team_id, source_id, recycle_reason_id
            )
            SELECT
                id, '', '',
                CASE WHEN status = 'working' AND r_bant < 0.15 THEN pg_temp.pick(%(needs)s::text[], r_bant / 0.15)
                     ELSE '' END,
                '',
                pg_temp.pick(%(last_names)s::text[], r_last), pg_temp.pick(%(first_names)s::text[], r_first),
                pg_temp.pick(%(departments)s::text[], r_department), pg_temp.pick(%(titles)s::text[], r_title),
                'lead' || id || '@c' || company_id || '.example.jp',
                '0' || (70 + floor(r_phone * 30))::int || '-' || lpad((id * 7919 %% 10000)::text, 4, '0')
                    || '-' || lpad((id * 104729 %% 10000)::text, 4, '0'),
                -- The import's match key (leads.normalize.phone_key): the same digits without the dashes.
                '0' || (70 + floor(r_phone * 30))::int || lpad((id * 7919 %% 10000)::text, 4, '0')
                    || lpad((id * 104729 %% 10000)::text, 4, '0'),
                (%(source_origins)s::text[])[array_position(%(source_ids)s::bigint[], source_id)],
                status,
                CASE status
                    WHEN 'nurturing' THEN pg_temp.pick(%(nurture_reasons)s::text[], r_reason)
                    WHEN 'disqualified' THEN pg_temp.pick(%(disqualify_reasons)s::text[], r_reason)
                    ELSE ''
                END,
                -- Skewed towards the future so about a fifth of the open leads are due today or overdue.
                %(today)s::date + CASE status
                    WHEN 'new' THEN -30 + floor(91 * power(r_date, 0.7))::int
                    WHEN 'working' THEN -30 + floor(91 * power(r_date, 0.7))::int
                    WHEN 'recycled' THEN -10 + floor(71 * r_date)::int
                    WHEN 'nurturing' THEN 1 + floor(90 * r_date)::int
                END,
                '',
                floor(r_score * 100)::int,
                is_hot,
                CASE WHEN is_hot THEN now() - r_hot / %(hot_share)s * interval '7 days' END,
                NULL,
                created_at,
                created_at + r_updated * (now() - created_at),
                campaign_id, company_id,
                (%(owner_ids)s::bigint[])[owner_slot],
                coalesce(
                    (%(owner_team_ids)s::bigint[])[owner_slot], pg_temp.pick(%(pool_team_ids)s::bigint[], r_owner)
                ),
                source_id,
                CASE WHEN status = 'recycled' THEN pg_temp.pick(%(recycle_reason_ids)s::bigint[], r_reason) END
            FROM (
                SELECT
                    draws.*,
                    status,
                    status = ANY(%(open)s::text[]) AND r_hot < %(hot_share)s AS is_hot,
                    -- New leads arrived lately; the others over the last three years.
                    now() - r_created * CASE WHEN status = 'new' THEN interval '60 days' ELSE interval '3 years' END
                        AS created_at,
                    CASE WHEN r_pool >= %(pool_share)s THEN width_bucket(r_owner, %(owner_bounds)s::float8[]) END
                        AS owner_slot,
                    CASE WHEN campaign_slot IS NULL THEN pg_temp.pick(%(source_ids)s::bigint[], r_source)
                         ELSE (%(campaign_source_ids)s::bigint[])[campaign_slot] END AS source_id,
                    (%(campaign_ids)s::bigint[])[campaign_slot] AS campaign_id,
                    1 + floor(r_company * %(companies)s)::bigint AS company_id
                FROM (
                    SELECT
                        g::bigint AS id, random() AS r_pool, random() AS r_owner, random() AS r_status,
                        random() AS r_date, random() AS r_hot, random() AS r_created, random() AS r_updated,
                        random() AS r_source, random() AS r_company, random() AS r_reason, random() AS r_score,
                        random() AS r_bant, random() AS r_last, random() AS r_first, random() AS r_department,
                        random() AS r_title, random() AS r_phone,
                        CASE WHEN random() < %(campaign_share)s
                             THEN 1 + floor(random() * cardinality(%(campaign_ids)s::bigint[]))::int END
                            AS campaign_slot
                    FROM generate_series(1, %(count)s) AS g
                ) AS draws
                CROSS JOIN LATERAL (
                    SELECT CASE
                        WHEN r_pool < %(pool_share)s OR r_status < %(b_new)s THEN 'new'
                        WHEN r_status < %(b_working)s THEN 'working'
                        WHEN r_status < %(b_recycled)s THEN 'recycled'
                        WHEN r_status < %(b_nurturing)s THEN 'nurturing'
                        ELSE 'disqualified'
                    END AS status
                ) AS lead_status
            ) AS leads
            """,
            params,
        )
        inserted = cursor.rowcount
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), %s)", [count])
    return inserted


def _insert_activities(*, count: int, org: dict) -> int:
    from django.conf import settings
    from django.db import transaction

    from activities.models import CallOutcome

    outcomes = dict(CallOutcome.objects.values_list("code", "pk"))
    params = {
        "count": count,
        "tz": settings.TIME_ZONE,
        "call_share": CALL_SHARE,
        "connect_rate": CONNECT_RATE,
        "effective_rate": EFFECTIVE_RATE,
        "missed_outcomes": [outcomes[code] for code in ("no_answer", "gatekeeper", "wrong_number")],
        "connected_outcomes": [
            outcomes[code] for code in ("callback", "info_sent", "hearing", "appointment", "not_interested")
        ],
        "notes": NOTES,
    }
    with transaction.atomic(), _seeded_cursor() as cursor:
        # An exponential weight per worked lead, scaled so the counts add up to exactly --activities:
        # each lead takes the rounded cumulative share minus its predecessor's. New leads were never worked.
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_activity_counts ON COMMIT DROP AS
            SELECT lead_id, company_id, owner_id, team_id, created_at,
                   (round(cumulative * %(count)s / total)
                    - round(lag(cumulative, 1, 0.0) OVER (ORDER BY lead_id) * %(count)s / total))::int AS n
            FROM (
                SELECT *, sum(weight) OVER (ORDER BY lead_id) AS cumulative, sum(weight) OVER () AS total
                FROM (
                    SELECT id AS lead_id, company_id, owner_id, team_id, created_at, -ln(1 - random()) AS weight
                    FROM leads_lead
                    WHERE status <> 'new' AND owner_id IS NOT NULL
                ) AS weighted
            ) AS shares
            """,
            params,
        )
        with _bulk_load(cursor, "activities_activity"):
            cursor.execute(
                """
                INSERT INTO activities_activity (
                    kind, direction, connected, effective_conversation, duration_seconds, note, occurred_at,
                    created_at, updated_at, actor_id, company_id, lead_id, opportunity_id, team_id, outcome_id
                )
                SELECT
                    kind,
                    CASE WHEN r_direction < 0.9 THEN 'outbound' ELSE 'inbound' END,
                    connected,
                    coalesce(connected AND r_effective < %(effective_rate)s, false),
                    CASE WHEN connected THEN 60 + floor(r_duration * 840)::int
                         WHEN NOT connected THEN floor(r_duration * 40)::int END,
                    CASE WHEN r_note < 0.6 THEN pg_temp.pick(%(notes)s::text[], r_note / 0.6) ELSE '' END,
                    occurred_at,
                    least(now(), occurred_at + r_logged * interval '15 minutes'),
                    least(now(), occurred_at + r_logged * interval '15 minutes'),
                    owner_id, company_id, lead_id, NULL, team_id,
                    CASE WHEN connected THEN pg_temp.pick(%(connected_outcomes)s::bigint[], r_outcome)
                         WHEN NOT connected THEN pg_temp.pick(%(missed_outcomes)s::bigint[], r_outcome) END
                FROM (
                    SELECT
                        draws.*,
                        CASE WHEN r_kind < %(call_share)s THEN 'call' ELSE 'mail' END AS kind,
                        CASE WHEN r_kind < %(call_share)s THEN r_connected < %(connect_rate)s END AS connected,
                        CASE WHEN office_hour > now() THEN office_hour - interval '1 day' ELSE office_hour END
                            AS occurred_at
                    FROM (
                        SELECT counts.*, random() AS r_kind, random() AS r_direction, random() AS r_connected,
                               random() AS r_effective, random() AS r_duration, random() AS r_note,
                               random() AS r_when, random() AS r_hour, random() AS r_logged, random() AS r_outcome
                        FROM bench_activity_counts AS counts
                        CROSS JOIN LATERAL generate_series(1, counts.n) AS nth
                    ) AS draws
                    -- Some moment of the lead's life, moved into office hours (9:00-18:00 local); one still
                    -- to come today goes to yesterday.
                    CROSS JOIN LATERAL (
                        SELECT (date_trunc('day', (created_at + r_when * (now() - created_at)) AT TIME ZONE %(tz)s)
                                + interval '9 hours' + r_hour * interval '9 hours') AT TIME ZONE %(tz)s AS office_hour
                    ) AS moment
                ) AS activities
                """,
                params,
            )
            inserted = cursor.rowcount
    return inserted


def _set_last_activity() -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE leads_lead AS lead SET last_activity_at = latest.at
            FROM (SELECT lead_id, max(occurred_at) AS at FROM activities_activity GROUP BY lead_id) AS latest
            WHERE lead.id = latest.lead_id
            """
        )
        return cursor.rowcount


def _vacuum_analyze() -> None:
    """Statistics for the planner, and the visibility map a long-lived database has from autovacuum
    (index-only scans depend on it); without both the benchmark would time a freshly loaded table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) leads_company, leads_lead, activities_activity")
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
