"""Fills a PostgreSQL database with years of funnel history, for the metrics engine's benchmark (bench/metrics.py).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kakehashi_bench_metrics_3y
    .venv/bin/python -m bench.generate_history [--years 3 --leads 1000000 --activities 5000000 --opportunities 200000]

Three years (``--years``) ending today in the company's time zone: 1,000,000 leads, exactly 5,000,000
activities, 200,000 deals (about 85 % SQLs with their IS→FS handoff, 15 % sales-generated), their phase
history, and a recycle plan for about a tenth of the leads. Facts fall on weekdays in office hours
(9:00-18:00 JST; some inbound leads in the evening), a weekend day getting about a seventh of a weekday's,
so that every day of the period has facts. Scale the counts with the period (``--per-year``, or a third of
each for ``--years 1``) and the days look alike: a one-year database's yesterday is the three-year one's.

Teams, users and campaigns go through the ORM (bench/generate.py's helpers), companies through
bench/generate.py; the rest is made inside PostgreSQL with ``INSERT ... SELECT FROM generate_series``, one
transaction per table, with the table's secondary indexes and foreign keys dropped during the load and
rebuilt after it. Every row satisfies the tables' check and unique constraints, which stay in force during
the load. Ids grow with time, as the application's would: leads by creation, activities by occurrence,
deals and handoffs by creation, phase changes and recycles by their moment. Random draws are seeded, so a
run repeats the previous one (its dates relative to the moment of generation).
"""

import argparse
import math
import re
import sys
import time
from datetime import date, datetime

from bench import IS_REP_PREFIX, django_setup
from bench.generate import (
    DEPARTMENTS,
    DISQUALIFY_REASONS,
    FIRST_NAMES,
    LAST_NAMES,
    NEEDS,
    NOTES,
    NURTURE_REASONS,
    TITLES,
    _bulk_load,
    _create_org,
    _insert_companies,
    _owner_bounds,
    _seeded_cursor,
    _step,
    _wipe,
)

DEFAULT_YEARS = 3
DEFAULT_LEADS = 1_000_000
DEFAULT_ACTIVITIES = 5_000_000
DEFAULT_OPPORTUNITIES = 200_000
# Of the weekend's draws, the share that stays on the weekend; the rest moves to a weekday.
WEEKEND_KEEP = 0.12
# Inbound leads also arrive in the evening (7:00-23:00) this often.
EVENING_SHARE = 0.25
POOL_SHARE = 0.05
CAMPAIGN_SHARE = 0.3
HOT_SHARE = 0.01
# The lead's status by its age in days: (younger than, {status: share}); SQLs are drawn first. Most leads
# are called within days (new ones have no activities), so the last days are as busy as any other.
STATUS_BY_AGE = [
    (2, {"new": 0.60, "working": 0.40}),
    (7, {"new": 0.20, "working": 0.80}),
    (30, {"new": 0.06, "working": 0.79, "nurturing": 0.05, "disqualified": 0.10}),
    (180, {"new": 0.03, "working": 0.42, "nurturing": 0.15, "recycled": 0.08, "disqualified": 0.32}),
    (None, {"new": 0.01, "working": 0.17, "nurturing": 0.20, "recycled": 0.08, "disqualified": 0.54}),
]
SQL_SHARE = 0.85
# Days from a lead's arrival to its SQL (at least one, exponential), and how long FS takes to answer.
SQL_LAG_DAYS = 10
ACCEPT_RATE = 0.88
TEMPERATURE_BOUNDS = (0.55, 0.85)  # A, B, then C
# Activities per lead: an exponential weight, times the share of the lead's active life already lived
# (activity fades with an exponential of this many days), so the daily volume is the same to the last day.
ACTIVITY_DAYS = 20
CALL_SHARE = 0.75
MAIL_SHARE = 0.20  # the rest are web meetings
CONNECT_RATE = 0.3
EFFECTIVE_RATE = 0.4
# Recycles: every recycled lead, a tenth of the SQLs (recycled before they became one), and a few others.
SQL_RECYCLE_SHARE = 0.10
OTHER_RECYCLE_SHARE = 0.012
RECYCLE_DAYS = 45
WEEK_PRECISION_SHARE = 0.3
# Deals: won share of the accepted, the stage a lost deal stops at (cumulative), days between phases.
WON_SHARE = 0.25
LOST_STAGE_BOUNDS = (0.25, 0.60, 0.85)
PHASE_STEP_DAYS = (7, 14, 14, 21)
FEEDBACK_SHARE = 0.6

BUDGETS = ["300万円", "年間500万円", "1,000万円規模", "200万円以内", "月額20万円程度"]
AUTHORITIES = ["部長", "取締役", "情報システム部長", "社長", "管理本部長"]
TIMEFRAMES = ["来期", "今期中", "3ヶ月以内", "半年以内", "来年4月"]
BANT_NEEDS = [*NEEDS, "勤怠集計を自動化したい", "紙の申請をなくしたい", "拠点ごとの集計を一元化したい"]
HEARD = ["予算と時期は確定、部長決裁", "現行システムの更新時期", "比較検討中、デモ希望", "課題は明確、予算は下期"]
WHY_NOW = ["法改正対応", "現行契約の満了", "拠点の増加", "経営層の指示"]
DECISION_PROCESSES = ["部長→役員会", "社長決裁", "情報システム部で選定後に稟議", "現場評価の後に部長決裁"]
TO_CONFIRM = ["給与システムとの連携", "導入スケジュール", "利用人数", "セキュリティ要件"]
REJECT_REASONS = ["予算が確保できていない", "ターゲット外の規模", "ニーズが曖昧", "決裁者が不明"]
FEEDBACK_REASONS = ["予算感が違った", "決裁者が同席しなかった", "課題の認識が浅かった", "時期が未定だった"]
DECISION_MAKERS = ["部長", "取締役", "社長", "情報システム部長"]
NEXT_ACTIONS = ["提案書送付", "見積提出", "デモ実施", "稟議状況の確認", ""]
RECYCLE_METHODS = ["call", "mail", "seminar", "materials"]
CAMPAIGN_LABELS = (
    ("trade_show", "展示会"),
    ("seminar", "ウェビナー"),
    ("document_request", "ホワイトペーパー"),
    ("web_inquiry", "リスティング"),
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--years", type=int, default=DEFAULT_YEARS, help="length of the history (default 3)")
    parser.add_argument("--leads", type=int, default=DEFAULT_LEADS)
    parser.add_argument("--activities", type=int, default=DEFAULT_ACTIVITIES, help="exactly this many")
    parser.add_argument("--opportunities", type=int, default=DEFAULT_OPPORTUNITIES)
    parser.add_argument(
        "--per-year",
        action="store_true",
        help="the counts are per year of history: --years 2 --per-year --leads 100000 makes 200,000 leads",
    )
    parser.add_argument("--reps", type=int, default=60, help="IS reps, spread over 3 IS teams (default 60)")
    parser.add_argument("--fs-reps", type=int, default=40, help="FS reps, spread over 2 FS teams (default 40)")
    parser.add_argument(
        "--skip-if-present",
        action="store_true",
        help="do nothing when the database already holds this much history over this period, generated today",
    )
    args = parser.parse_args(argv)
    if args.years < 1 or args.leads < 1 or args.activities < 0 or args.opportunities < 0:
        parser.error("--years and --leads must be positive, --activities and --opportunities not negative")
    if args.reps < 1 or args.fs_reps < 1:
        parser.error("--reps and --fs-reps must be positive")
    scale = args.years if args.per_year else 1
    counts = {
        "leads": args.leads * scale,
        "activities": args.activities * scale,
        "opportunities": args.opportunities * scale,
    }

    django_setup()
    from django.db import connection
    from django.utils import timezone

    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        sys.exit(
            f"The generator first wipes every company, lead, activity and deal; {name!r} does not look like a "
            "benchmark database. Point DATABASE_URL at one whose name contains 'bench' "
            "(e.g. kakehashi_bench_metrics_3y)."
        )
    today = timezone.localdate()
    first_day = period_start(today=today, years=args.years)
    if args.skip_if_present:
        missing = _missing(**counts, first_day=first_day, today=today)
        if not missing:
            print(f"{name} already holds {_years(args.years)} of history, generated today; not regenerating.")
            return
        print(f"{name}: {missing}; generating.")
    generate(years=args.years, **counts, is_reps=args.reps, fs_reps=args.fs_reps)


def period_start(*, today: date, years: int) -> date:
    """The first day of a history of ``years`` years ending ``today`` (29 February gives the 28th)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def _missing(*, leads: int, activities: int, opportunities: int, first_day: date, today: date) -> str:
    """Why the database does not hold the history asked for ('' when it does): too few rows, another
    period, or history generated on an earlier day. That one ends before today, so its yesterday (the day
    the metrics benchmark rolls up) is empty or only partly filled."""
    from django.db.models import Min

    from activities.models import Activity
    from leads.models import Lead
    from opportunities.models import Opportunity
    from org.models import User

    generated = User.objects.filter(username__startswith=IS_REP_PREFIX).aggregate(at=Min("date_joined"))["at"]
    if generated is None:
        return "no bench IS reps"
    if _local_day(generated) != today:
        return f"its history ends on {_local_day(generated)}, not today"
    for model, wanted in ((Lead, leads), (Activity, activities), (Opportunity, opportunities)):
        held = model.objects.count()
        if held < wanted:
            return f"{held:,} {model._meta.verbose_name_plural} of {wanted:,}"
    first = _local_day(Lead.objects.aggregate(first=Min("created_at"))["first"])
    if abs((first - first_day).days) > 7:
        return f"its history starts on {first}, not {first_day}"
    return ""


def _years(years: int) -> str:
    return f"{years} year{'s' if years != 1 else ''}"


def _local_day(moment: datetime) -> date:
    from django.utils import timezone

    return timezone.localtime(moment).date()


def generate(
    *, years: int, leads: int, activities: int, opportunities: int, is_reps: int = 60, fs_reps: int = 40
) -> dict[str, int]:
    """Wipes and fills the database; returns the rows per table."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    today = timezone.localdate(now)
    first_day = period_start(today=today, years=years)
    companies = math.ceil(leads / 1.5)
    started = time.perf_counter()
    rows: dict[str, int] = {}
    print(
        f"Generating into {connection.settings_dict['NAME']}: {_years(years)} of history, {first_day} to {today}, "
        f"{leads:,} leads, {activities:,} activities, {opportunities:,} deals:"
    )
    with connection.cursor() as cursor:
        # Session-wide for this process: the plans sort and hash millions of rows, and compiling their long
        # expressions (JIT) would take longer than evaluating them.
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET jit = off")
        cursor.execute("DROP TABLE IF EXISTS bench_history_leads, bench_history_activities, bench_history_deals")
    with _step("wipe previous data"):
        _wipe()
        # The figures summarised the facts just wiped.
        from dashboards.services import metrics_reset

        metrics_reset()
    with _step("teams, users, campaigns") as counted:
        org = _create_org(is_reps=is_reps, fs_reps=fs_reps, today=today)
        org["campaigns"] = _campaigns(first_day=first_day, today=today)
        counted.append(len(org["is_reps"]) + len(org["fs_reps"]))
    with _step("leads_company") as counted:
        counted.append(_insert_companies(count=companies))
    context = {
        "now": now,
        "today": today,
        "first_day": first_day,
        "days": (today - first_day).days + 1,
        "companies": companies,
        "org": org,
    }
    with _step("plan: leads") as counted:
        counted.append(_plan_leads(count=leads, opportunities=opportunities, **context))
    with _step("plan: activities") as counted:
        counted.append(_plan_activities(count=activities, **context))
    with _step("leads_lead") as counted:
        rows["leads_lead"] = _insert_leads()
        counted.append(rows["leads_lead"])
    with _step("activities_activity") as counted:
        rows["activities_activity"] = _insert_activities()
        counted.append(rows["activities_activity"])
    with _step("plan: deals") as counted:
        counted.append(_plan_deals(count=opportunities, **context))
    with _step("opportunities_opportunity") as counted:
        rows["opportunities_opportunity"] = _insert_opportunities(**context)
        counted.append(rows["opportunities_opportunity"])
    with _step("opportunities_phasehistory") as counted:
        rows["opportunities_phasehistory"] = _insert_phase_history()
        counted.append(rows["opportunities_phasehistory"])
    with _step("handoffs_handoff") as counted:
        rows["handoffs_handoff"] = _insert_handoffs(**context)
        counted.append(rows["handoffs_handoff"])
    with _step("leads_leadrecycle") as counted:
        rows["leads_leadrecycle"] = _insert_recycles(**context)
        counted.append(rows["leads_leadrecycle"])
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_history_leads, bench_history_activities, bench_history_deals")
    with _step("VACUUM, ANALYZE"):
        _vacuum_analyze()
    print(f"{'total':<30}{'':>12}{time.perf_counter() - started:>9.1f} s")
    return rows


def _campaigns(*, first_day: date, today: date) -> dict:
    """The campaigns of every fiscal year (April to March) of the period, four a year; bench/generate.py's
    org already has last year's and this year's. Returns the ids in (year, label) order."""
    from django.db import transaction

    from leads.models import Campaign, LeadSource

    first_year = _fiscal_year(first_day)
    sources = {source.code: source for source in LeadSource.objects.filter(code__in=[c for c, _l in CAMPAIGN_LABELS])}
    ids, source_ids = [], []
    with transaction.atomic():
        for year in range(first_year, today.year + 1):
            for code, label in CAMPAIGN_LABELS:
                campaign, _created = Campaign.objects.get_or_create(
                    name=f"{year} {label}", defaults={"source": sources[code], "starts_on": date(year, 4, 1)}
                )
                ids.append(campaign.pk)
                source_ids.append(campaign.source_id)
    return {"first_year": first_year, "ids": ids, "source_ids": source_ids}


def _fiscal_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _time_zone() -> str:
    from django.conf import settings

    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", settings.TIME_ZONE):
        sys.exit(f"Unexpected TIME_ZONE {settings.TIME_ZONE!r}")
    return settings.TIME_ZONE


def _history_cursor():
    """bench/generate.py's seeded cursor, plus inlinable helpers that place a moment on the calendar in the
    company's time zone. Each takes plain columns, so PostgreSQL inlines it as an expression."""
    cursor = _seeded_cursor()
    tz = _time_zone()
    # 2001-01-01 was a Monday: mod(day - that, 7) is 0 on Mondays, 5 on Saturdays, 6 on Sundays.
    for definition in (
        f"local_day(moment timestamptz) RETURNS date AS $$ SELECT (moment AT TIME ZONE '{tz}')::date $$",
        # 9:00 + draw × 9 hours on the day, in the company's time zone.
        f"office(day date, draw float8) RETURNS timestamptz AS $$ "
        f"SELECT (day + interval '9 hours' + draw * interval '9 hours') AT TIME ZONE '{tz}' $$",
        # Of three days drawn alike, the first unless it falls on a weekend (kept with probability
        # WEEKEND_KEEP), then the second if it is a weekday, else the third: weekdays keep the shape of the
        # draws, weekends get about a fifth of a weekday's, and nothing moves past the draws' own bounds.
        f"workday(first date, second date, third date, draw float8) RETURNS date AS $$ SELECT CASE "
        f"WHEN mod(first - DATE '2001-01-01', 7) < 5 OR draw < {WEEKEND_KEEP} THEN first "
        f"WHEN mod(second - DATE '2001-01-01', 7) < 5 THEN second ELSE third END $$",
        # A weekend day stays with probability WEEKEND_KEEP, else becomes a weekday of the next week (for
        # what must come after a moment and may be dropped past now).
        f"weekday_after(day date, draw float8) RETURNS date AS $$ SELECT day + CASE "
        f"WHEN mod(day - DATE '2001-01-01', 7) < 5 OR draw < {WEEKEND_KEEP} THEN 0 "
        f"ELSE 7 - mod(day - DATE '2001-01-01', 7) + floor((draw - {WEEKEND_KEEP}) / {1 - WEEKEND_KEEP} * 5)::int "
        f"END $$",
        # Days after a start, exponential with this mean but below upto days (the inverse of the truncated CDF).
        "trunc_exp(mean float8, upto float8, draw float8) RETURNS float8 AS $$ "
        "SELECT -mean * ln(1 - draw * (1 - exp(-greatest(upto, 0) / mean))) $$",
        "exp_days(mean float8, draw float8) RETURNS int AS $$ SELECT 1 + floor(-ln(1 - draw) * mean)::int $$",
    ):
        cursor.execute(f"CREATE OR REPLACE FUNCTION pg_temp.{definition} LANGUAGE sql IMMUTABLE")
    return cursor


def _nest(source: str, *levels: str) -> str:
    """``source`` (a whole SELECT) under successive select lists, each over the one before: a level may name
    what the previous computed. A level that draws random() is kept apart by the planner, so what it
    computes is computed once per row."""
    sql = source
    for n, level in enumerate(levels):
        sql = f"SELECT {level}\nFROM ({sql}) AS level{n}"
    return sql


def _status_by_age() -> str:
    """The CASE that gives a non-SQL lead its status from its age and r_status (STATUS_BY_AGE)."""
    bands = []
    for younger_than, shares in STATUS_BY_AGE:
        running, whens = 0.0, []
        for status, share in list(shares.items())[:-1]:
            running += share
            whens.append(f"WHEN r_status < {running:.4f} THEN '{status}'")
        last = list(shares)[-1]
        case = f"CASE {' '.join(whens)} ELSE '{last}' END"
        bands.append(f"WHEN age_days < {younger_than} THEN {case}" if younger_than else f"ELSE {case}")
    return f"CASE {' '.join(bands)} END"


def _plan_leads(*, count: int, opportunities: int, now, today, first_day, days, companies, org, **_context) -> int:
    """bench_history_leads: every lead's draws and what follows from them (status, SQL and recycle moments),
    for the lead, activity, deal and recycle loads. Ids follow the creation time."""
    from django.db import transaction

    from leads.models import LeadSource, RecycleReason

    sources = list(LeadSource.objects.order_by("pk"))
    inbound = {"web", "trade_show", "seminar", "trial"}
    campaigns = org["campaigns"]
    # SQLs are drawn among owned leads; a few land after today and are dropped, the SGLs make up the rest.
    sql_probability = min(0.9, SQL_SHARE * opportunities / count / (1 - 1.5 * SQL_LAG_DAYS / days))
    params = {
        "count": count,
        "now": now,
        "today": today,
        "first_day": first_day,
        "days": days,
        "companies": companies,
        "pool_share": POOL_SHARE,
        "campaign_share": CAMPAIGN_SHARE,
        "campaign_first_year": campaigns["first_year"],
        "campaign_labels": len(CAMPAIGN_LABELS),
        "campaign_ids": campaigns["ids"],
        "campaign_source_ids": campaigns["source_ids"],
        "source_ids": [source.pk for source in sources],
        "source_origins": ["inbound" if source.channel in inbound else "outbound" for source in sources],
        "evening_share": EVENING_SHARE,
        "owner_bounds": _owner_bounds(len(org["is_reps"])),
        "owner_ids": [rep.pk for rep in org["is_reps"]],
        "owner_team_ids": [rep.team_id for rep in org["is_reps"]],
        "pool_team_ids": sorted({rep.team_id for rep in org["is_reps"]}),
        "sql_probability": sql_probability,
        "sql_lag": SQL_LAG_DAYS,
        "accept_rate": ACCEPT_RATE,
        "temperature_a": TEMPERATURE_BOUNDS[0],
        "temperature_b": TEMPERATURE_BOUNDS[1],
        "hot_share": HOT_SHARE,
        "sql_recycle_share": SQL_RECYCLE_SHARE,
        "other_recycle_share": OTHER_RECYCLE_SHARE,
        "recycle_days": RECYCLE_DAYS,
        "recycle_reason_ids": list(RecycleReason.objects.filter(is_active=True).values_list("pk", flat=True)),
        "last_names": LAST_NAMES,
        "first_names": FIRST_NAMES,
        "departments": DEPARTMENTS,
        "titles": TITLES,
        "budgets": BUDGETS,
        "authorities": AUTHORITIES,
        "needs": BANT_NEEDS,
        "timeframes": TIMEFRAMES,
        "nurture_reasons": NURTURE_REASONS,
        "disqualify_reasons": DISQUALIFY_REASONS,
    }
    plan = _nest(
        """
        SELECT g AS n, %(first_day)s::date + floor(random() * %(days)s)::int AS day_1,
               %(first_day)s::date + floor(random() * %(days)s)::int AS day_2,
               %(first_day)s::date + floor(random() * %(days)s)::int AS day_3,
               random() AS r_week, random() AS r_hour, random() AS r_evening,
               random() AS r_campaign, random() AS r_label, random() AS r_source
        FROM generate_series(1, %(count)s) AS g
        """,
        # The day, uniform over the period, mostly a weekday.
        """*, pg_temp.workday(day_1, day_2, day_3, r_week) AS day,
           random() AS r_company, random() AS r_pool, random() AS r_owner, random() AS r_status""",
        # A campaign of the lead's fiscal year for some; the source follows the campaign.
        """*, CASE WHEN r_campaign < %(campaign_share)s
                   THEN (extract(year FROM day)::int - (extract(month FROM day) < 4)::int - %(campaign_first_year)s)
                        * %(campaign_labels)s + 1 + floor(r_label * %(campaign_labels)s)::int
              END AS campaign_slot,
           random() AS r_sql, random() AS r_lag, random() AS r_deal_week, random() AS r_deal_hour""",
        """*, CASE WHEN campaign_slot IS NULL THEN pg_temp.pick(%(source_ids)s::bigint[], r_source)
                   ELSE (%(campaign_source_ids)s::bigint[])[campaign_slot] END AS source_id,
           (%(campaign_ids)s::bigint[])[campaign_slot] AS campaign_id,
           random() AS r_response, random() AS r_slow, random() AS r_outcome, random() AS r_temperature""",
        """*, (%(source_origins)s::text[])[array_position(%(source_ids)s::bigint[], source_id)] AS origin,
           random() AS r_date, random() AS r_hot, random() AS r_bant, random() AS r_budget, random() AS r_authority,
           random() AS r_needs, random() AS r_timeframe""",
        # Office hours; some inbound leads in the evening. One still to come today moves a week back.
        """*, (day + CASE WHEN origin = 'inbound' AND r_evening < %(evening_share)s
                          THEN interval '7 hours' + r_hour * interval '16 hours'
                          ELSE interval '9 hours' + r_hour * interval '9 hours' END) AT TIME ZONE %(tz)s AS arrival,
           random() AS r_reason""",
        """*, CASE WHEN arrival > %(now)s THEN arrival - interval '7 days' ELSE arrival END AS created_at,
           random() AS r_recycle, random() AS r_recycle_when, random() AS r_recycle_week, random() AS r_recycle_hour,
           random() AS r_recycle_grace, random() AS r_recycle_reason""",
        """*, extract(epoch FROM %(now)s::timestamptz - created_at) / 86400 AS age_days,
           random() AS r_recycle_when_2, random() AS r_recycle_when_3,
           pg_temp.local_day(created_at) AS created_day,
           CASE WHEN r_pool >= %(pool_share)s OR %(now)s::timestamptz - created_at > interval '30 days'
                THEN width_bucket(r_owner, %(owner_bounds)s::float8[]) END AS owner_slot""",
        # The SQL: a weekday at least a day after the lead came in, if that is before now.
        """*, pg_temp.office(pg_temp.weekday_after(created_day + pg_temp.exp_days(%(sql_lag)s, r_lag), r_deal_week),
                             r_deal_hour) AS sql_moment,
           pg_temp.workday(
               pg_temp.local_day(created_at + pg_temp.trunc_exp(%(recycle_days)s, age_days, r_recycle_when)
                                 * interval '1 day'),
               pg_temp.local_day(created_at + pg_temp.trunc_exp(%(recycle_days)s, age_days, r_recycle_when_2)
                                 * interval '1 day'),
               pg_temp.local_day(created_at + pg_temp.trunc_exp(%(recycle_days)s, age_days, r_recycle_when_3)
                                 * interval '1 day'),
               r_recycle_week) AS recycle_day,
           random() AS r_last""",
        """*, CASE WHEN owner_slot IS NOT NULL AND r_sql < %(sql_probability)s AND sql_moment <= %(now)s
                   THEN sql_moment END AS deal_at,
           random() AS r_first""",
        # FS answers within hours, sometimes days; what would come after now is still pending.
        """*, deal_at + -ln(1 - r_response) * CASE WHEN r_slow < 0.15 THEN interval '5 days'
                                                     ELSE interval '16 hours' END AS answer_at,
           random() AS r_department""",
        """*, CASE WHEN deal_at IS NULL THEN NULL WHEN answer_at > %(now)s THEN 'pending'
                   WHEN r_outcome < %(accept_rate)s THEN 'accepted' ELSE 'rejected' END AS sql_outcome,
           random() AS r_title""",
        f"""*, CASE WHEN owner_slot IS NULL THEN 'new'
                    WHEN sql_outcome IN ('pending', 'accepted') THEN 'qualified'
                    WHEN sql_outcome = 'rejected' THEN 'working'
                    ELSE {_status_by_age()} END AS status,
           CASE WHEN sql_outcome IS NULL THEN ''
                WHEN r_temperature < %(temperature_a)s THEN 'A'
                WHEN r_temperature < %(temperature_b)s THEN 'B' ELSE 'C' END AS temperature,
           random() AS r_phone""",
        # BANT as heard: A all four; B authority and needs, budget or timeframe missing; C the needs.
        """*, CASE WHEN temperature = 'A' OR (temperature = 'B' AND r_bant >= 0.5)
                   THEN pg_temp.pick(%(budgets)s::text[], r_budget) ELSE '' END AS bant_budget,
           CASE WHEN temperature IN ('A', 'B') THEN pg_temp.pick(%(authorities)s::text[], r_authority)
                ELSE '' END AS bant_authority,
           CASE WHEN temperature <> '' OR (status = 'working' AND r_bant < 0.15)
                THEN pg_temp.pick(%(needs)s::text[], r_needs) ELSE '' END AS bant_needs,
           CASE WHEN temperature = 'A' OR (temperature = 'B' AND r_bant < 0.5)
                THEN pg_temp.pick(%(timeframes)s::text[], r_timeframe) ELSE '' END AS bant_timeframe,
           (%(owner_ids)s::bigint[])[owner_slot] AS owner_id,
           coalesce((%(owner_team_ids)s::bigint[])[owner_slot], pg_temp.pick(%(pool_team_ids)s::bigint[], r_owner))
               AS team_id,
           1 + floor(r_company * %(companies)s)::bigint AS company_id,
           CASE WHEN sql_outcome IN ('accepted', 'rejected') THEN answer_at END AS responded_at,
           -- Recycled leads were recycled, as were a tenth of the SQLs (before the SQL) and a few others.
           status = 'recycled' OR (deal_at IS NOT NULL AND r_recycle < %(sql_recycle_share)s)
               OR (deal_at IS NULL AND status IN ('working', 'nurturing', 'disqualified')
                   AND r_recycle < %(other_recycle_share)s) AS recycled,
           random() AS r_score""",
        """*, CASE WHEN NOT recycled THEN NULL
                   WHEN deal_at IS NOT NULL THEN created_at + (0.1 + 0.8 * r_recycle_when) * (deal_at - created_at)
                   ELSE greatest(created_at, least(
                       greatest(pg_temp.office(recycle_day, r_recycle_hour),
                                created_at + r_recycle_grace * interval '30 minutes'),
                       %(now)s::timestamptz - r_recycle_grace * interval '1 hour'))
              END AS recycle_at,
           CASE WHEN recycled THEN pg_temp.pick(%(recycle_reason_ids)s::bigint[], r_recycle_reason)
                END AS recycle_reason_id,
           CASE status
                WHEN 'nurturing' THEN pg_temp.pick(%(nurture_reasons)s::text[], r_reason)
                WHEN 'disqualified' THEN pg_temp.pick(%(disqualify_reasons)s::text[], r_reason)
                ELSE '' END AS status_reason,
           -- Open leads are due from 30 days ago to 60 days ahead (nurtured ones only ahead).
           %(today)s::date + CASE status
                WHEN 'new' THEN -30 + floor(91 * power(r_date, 0.7))::int
                WHEN 'working' THEN -30 + floor(91 * power(r_date, 0.7))::int
                WHEN 'recycled' THEN -10 + floor(71 * r_date)::int
                WHEN 'nurturing' THEN 1 + floor(60 * r_date)::int
           END AS next_approach_on,
           status IN ('new', 'working', 'nurturing', 'recycled') AND r_hot < %(hot_share)s AS is_hot""",
        "row_number() OVER (ORDER BY created_at, n) AS id, *",
    )
    with transaction.atomic(), _history_cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_history_leads AS {plan}", {**params, "tz": _time_zone()})
        cursor.execute("ALTER TABLE bench_history_leads ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE bench_history_leads")
        cursor.execute("SELECT count(*) FROM bench_history_leads")
        (planned,) = cursor.fetchone()
    return planned


def _plan_activities(*, count: int, now, today, **_context) -> int:
    """bench_history_activities: exactly ``count`` activities over the worked leads, each by the lead's
    owner, on a weekday in office hours after the lead came in (and before now)."""
    from django.conf import settings
    from django.db import transaction

    from activities.models import CallOutcome

    outcomes = dict(CallOutcome.objects.values_list("code", "pk"))
    today_start = datetime.combine(today, datetime.min.time(), tzinfo=_zone(settings.TIME_ZONE))
    params = {
        "count": count,
        "now": now,
        "today_start": today_start,
        "activity_days": ACTIVITY_DAYS,
        "call_share": CALL_SHARE,
        "mail_share": CALL_SHARE + MAIL_SHARE,
        "connect_rate": CONNECT_RATE,
        "effective_rate": EFFECTIVE_RATE,
        "missed_outcomes": [outcomes[code] for code in ("no_answer", "gatekeeper", "wrong_number")],
        "connected_outcomes": [
            outcomes[code] for code in ("callback", "info_sent", "hearing", "appointment", "not_interested")
        ],
    }
    plan = _nest(
        """
        SELECT counts.*, random() AS r_when_1, random() AS r_when_2, random() AS r_when_3, random() AS r_week,
               random() AS r_hour, random() AS r_grace
        FROM bench_history_counts AS counts
        CROSS JOIN LATERAL generate_series(1, counts.n) AS nth
        """,
        # Three moments of the lead's active life, for a weekday among them.
        """*, pg_temp.local_day(created_at + pg_temp.trunc_exp(%(activity_days)s, age_days, r_when_1)
                             * interval '1 day') AS day_1,
           pg_temp.local_day(created_at + pg_temp.trunc_exp(%(activity_days)s, age_days, r_when_2)
                             * interval '1 day') AS day_2,
           pg_temp.local_day(created_at + pg_temp.trunc_exp(%(activity_days)s, age_days, r_when_3)
                             * interval '1 day') AS day_3,
           random() AS r_kind, random() AS r_direction, random() AS r_connected, random() AS r_effective,
           random() AS r_duration, random() AS r_note, random() AS r_logged, random() AS r_outcome""",
        # Office hours on that weekday; not before the lead came in, not after now (today's late hours go to
        # today's elapsed part).
        """lead_id, company_id, owner_id, team_id,
           least(greatest(pg_temp.office(pg_temp.workday(day_1, day_2, day_3, r_week), r_hour),
                          created_at + r_grace * interval '30 minutes'),
                 %(now)s::timestamptz - r_grace * (%(now)s::timestamptz - greatest(created_at, %(today_start)s)))
               AS occurred_at,
           CASE WHEN r_kind < %(call_share)s THEN 'call' WHEN r_kind < %(mail_share)s THEN 'mail'
                ELSE 'web_meeting' END AS kind,
           r_direction, r_connected, r_effective, r_duration, r_note, r_logged, r_outcome""",
        # A web meeting is connected by nature (as activities.services logs it); a mail is neither.
        """*, CASE kind WHEN 'call' THEN r_connected < %(connect_rate)s WHEN 'web_meeting' THEN true
                END AS connected""",
        """lead_id, company_id, owner_id, team_id, occurred_at, kind, connected, r_note, r_logged,
           CASE kind WHEN 'call' THEN coalesce(connected AND r_effective < %(effective_rate)s, false)
                     WHEN 'web_meeting' THEN r_effective < 0.8 ELSE false END AS effective_conversation,
           CASE WHEN kind = 'mail' THEN CASE WHEN r_direction < 0.75 THEN 'outbound' ELSE 'inbound' END
                WHEN kind = 'call' AND r_direction >= 0.9 THEN 'inbound' ELSE 'outbound' END AS direction,
           CASE kind WHEN 'call' THEN CASE WHEN connected THEN 60 + floor(r_duration * 840)::int
                                           ELSE floor(r_duration * 40)::int END
                     WHEN 'web_meeting' THEN 1800 + floor(r_duration * 1800)::int END AS duration_seconds,
           CASE kind WHEN 'call' THEN CASE WHEN connected
                                           THEN pg_temp.pick(%(connected_outcomes)s::bigint[], r_outcome)
                                           ELSE pg_temp.pick(%(missed_outcomes)s::bigint[], r_outcome) END
                END AS outcome_id""",
    )
    with transaction.atomic(), _history_cursor() as cursor:
        # An exponential weight per worked lead, times the share of its active life lived so far, scaled so
        # the counts add up to exactly --activities: each lead takes the rounded cumulative share minus its
        # predecessor's. New leads were never worked.
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_history_counts ON COMMIT DROP AS
            SELECT id AS lead_id, company_id, owner_id, team_id, created_at, created_day, age_days,
                   (round(cumulative * %(count)s / total)
                    - round(lag(cumulative, 1, 0.0) OVER (ORDER BY id) * %(count)s / total))::int AS n
            FROM (
                SELECT *, sum(weight) OVER (ORDER BY id) AS cumulative, sum(weight) OVER () AS total
                FROM (
                    SELECT id, company_id, owner_id, team_id, created_at, created_day, age_days,
                           -ln(1 - random()) * (1 - exp(-age_days / %(activity_days)s)) AS weight
                    FROM bench_history_leads
                    WHERE status <> 'new' AND owner_id IS NOT NULL
                ) AS weighted
            ) AS shares
            """,
            params,
        )
        cursor.execute(f"CREATE TEMPORARY TABLE bench_history_activities AS {plan}", params)
        cursor.execute("SELECT count(*) FROM bench_history_activities")
        (planned,) = cursor.fetchone()
    return planned


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _insert_leads() -> int:
    from django.db import transaction

    params = {
        "last_names": LAST_NAMES,
        "first_names": FIRST_NAMES,
        "departments": DEPARTMENTS,
        "titles": [title for title in TITLES if title],
        "all_titles": TITLES,
    }
    with transaction.atomic(), _history_cursor() as cursor, _bulk_load(cursor, "leads_lead"):
        cursor.execute(
            """
            INSERT INTO leads_lead (
                id, bant_budget, bant_authority, bant_needs, bant_timeframe, last_name, first_name, department,
                title, email, phone, phone_key, origin, status, status_reason, next_approach_on, temperature, score,
                is_hot, hot_since, last_activity_at, created_at, updated_at, campaign_id, company_id, owner_id,
                team_id, source_id, recycle_reason_id
            )
            SELECT
                p.id, bant_budget, bant_authority, bant_needs, bant_timeframe,
                pg_temp.pick(%(last_names)s::text[], r_last), pg_temp.pick(%(first_names)s::text[], r_first),
                pg_temp.pick(%(departments)s::text[], r_department),
                -- Someone an SQL was handed for has a title.
                CASE WHEN deal_at IS NOT NULL THEN pg_temp.pick(%(titles)s::text[], r_title)
                     ELSE pg_temp.pick(%(all_titles)s::text[], r_title) END,
                'lead' || p.id || '@c' || company_id || '.example.jp',
                '0' || (70 + floor(r_phone * 30))::int || '-' || lpad((p.id * 7919 %% 10000)::text, 4, '0')
                    || '-' || lpad((p.id * 104729 %% 10000)::text, 4, '0'),
                -- The import's match key (leads.normalize.phone_key): the same digits without the dashes.
                '0' || (70 + floor(r_phone * 30))::int || lpad((p.id * 7919 %% 10000)::text, 4, '0')
                    || lpad((p.id * 104729 %% 10000)::text, 4, '0'),
                origin, status, status_reason, next_approach_on, temperature,
                CASE WHEN deal_at IS NOT NULL THEN 60 + floor(r_score * 40)::int ELSE floor(r_score * 80)::int END,
                is_hot,
                CASE WHEN is_hot THEN greatest(created_at, now() - r_hot / %(hot_share)s * interval '7 days') END,
                latest.at,
                created_at,
                greatest(created_at, latest.at, deal_at, responded_at, recycle_at),
                campaign_id, company_id, owner_id, team_id, source_id,
                CASE WHEN status = 'recycled' THEN recycle_reason_id END
            FROM bench_history_leads AS p
            LEFT JOIN (
                SELECT lead_id, max(occurred_at) AS at FROM bench_history_activities GROUP BY lead_id
            ) AS latest ON latest.lead_id = p.id
            ORDER BY p.id
            """,
            {**params, "hot_share": HOT_SHARE},
        )
        inserted = cursor.rowcount
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads_lead', 'id'), greatest(%s, 1))", [inserted])
    return inserted


def _insert_activities() -> int:
    from django.db import transaction

    with transaction.atomic(), _history_cursor() as cursor, _bulk_load(cursor, "activities_activity"):
        # In the order they happened, as the application would have written them.
        cursor.execute(
            """
            INSERT INTO activities_activity (
                kind, direction, connected, effective_conversation, duration_seconds, note, occurred_at,
                created_at, updated_at, actor_id, company_id, lead_id, opportunity_id, team_id, outcome_id
            )
            SELECT kind, direction, connected, effective_conversation, duration_seconds,
                   CASE WHEN r_note < 0.6 THEN pg_temp.pick(%(notes)s::text[], r_note / 0.6) ELSE '' END,
                   occurred_at,
                   least(now(), occurred_at + r_logged * interval '15 minutes'),
                   least(now(), occurred_at + r_logged * interval '15 minutes'),
                   owner_id, company_id, lead_id, NULL, team_id, outcome_id
            FROM bench_history_activities
            ORDER BY occurred_at, lead_id
            """,
            {"notes": NOTES},
        )
        inserted = cursor.rowcount
    return inserted


def _phases() -> dict:
    """The pipeline as configured (the default phases after migrate): the open phases in order, won, lost,
    and from which position a field or rule of a gate is needed (position n_open + 1 is won)."""
    from opportunities.models import LostReason, Phase

    open_phases = list(Phase.objects.filter(is_active=True, outcome=Phase.Outcome.OPEN).order_by("sort_order"))
    won = Phase.objects.filter(is_active=True, outcome=Phase.Outcome.WON).first()
    lost = Phase.objects.filter(is_active=True, outcome=Phase.Outcome.LOST).first()
    if not open_phases or won is None or lost is None:
        sys.exit("The generator needs open phases, a won phase and a lost phase: run the migrations.")
    gates = [*open_phases, won]

    def needed_from(name: str, default: int) -> int:
        for position, phase in enumerate(gates, 1):
            if name in phase.required_fields or name in phase.rules:
                return position
        return min(default, len(gates))

    return {
        "open_ids": [phase.pk for phase in open_phases],
        "won_id": won.pk,
        "lost_id": lost.pk,
        "meeting_from": needed_from("first_meeting_on", 2),
        "amount_from": needed_from("amount", 3),
        "service_from": needed_from("service", 3),
        "bant_from": needed_from("bant_complete", 3),
        "close_from": needed_from("expected_close_on", 4),
        "decision_maker_from": needed_from("decision_maker", 4),
        "rejected_reason": LostReason.objects.get(code="sql_rejected").pk,
        "lost_reasons": list(
            LostReason.objects.filter(is_active=True)
            .exclude(code__in=["sql_rejected", "sent_back"])
            .values_list("pk", flat=True)
        ),
    }


def _plan_deals(*, count: int, now, first_day, days, companies, org, **_context) -> int:
    """bench_history_deals: one row per deal, SQLs from the lead plan and SGLs to make up ``count``; each
    with its path through the phases and the moments of each move, as far as it got by now."""
    from django.db import transaction

    phases = _phases()
    n_open = len(phases["open_ids"])
    steps = [PHASE_STEP_DAYS[min(n, len(PHASE_STEP_DAYS) - 1)] for n in range(n_open)]
    # Position 1 is the deal's creation; position p + 1 the move after p steps (the close comes after the
    # last open phase reached). Days add up from the SQL's answer (or the SGL's creation), a weekend mostly
    # moving to a weekday of the next week; the moments are then sorted, so each move follows the one before.
    draws = ", ".join(f"random() AS r_step_{n}, random() AS r_week_{n}, random() AS r_hour_{n}" for n in range(n_open))
    positions = ", ".join(
        "pg_temp.office(pg_temp.weekday_after(base_day + "
        + " + ".join(f"pg_temp.exp_days({steps[k]}, r_step_{k})" for k in range(n + 1))
        + f", r_week_{n}), r_hour_{n})"
        for n in range(n_open)
    )
    with transaction.atomic(), _history_cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_history_leads WHERE deal_at IS NOT NULL")
        (sqls,) = cursor.fetchone()
        sgls = max(0, count - sqls)
        plan = _nest(
            """
            SELECT id AS lead_id, 0 AS n, company_id, owner_id AS is_id, deal_at AS created_at, responded_at,
                   sql_outcome AS outcome, temperature, bant_budget, bant_authority, bant_needs, bant_timeframe,
                   pg_temp.pick(%(last_names)s::text[], r_last) AS last_name
            FROM bench_history_leads
            WHERE deal_at IS NOT NULL
            UNION ALL
            SELECT NULL, n, company_id, NULL,
                   least(pg_temp.office(pg_temp.workday(day_1, day_2, day_3, r_week), r_hour),
                         %(now)s::timestamptz - r_hour * interval '6 hours'),
                   NULL, 'sgl', '', '', '', '', '', ''
            FROM (
                SELECT g AS n, 1 + floor(random() * %(companies)s)::bigint AS company_id,
                       %(first_day)s::date + floor(random() * %(days)s)::int AS day_1,
                       %(first_day)s::date + floor(random() * %(days)s)::int AS day_2,
                       %(first_day)s::date + floor(random() * %(days)s)::int AS day_3,
                       random() AS r_week, random() AS r_hour
                FROM generate_series(1, %(sgls)s) AS g
            ) AS sgl_draws
            """,
            # Each level draws something, which keeps it apart: what it computes is computed once.
            f"""*, random() AS r_fs, random() AS r_won, random() AS r_stage, {draws}""",
            """*, pg_temp.local_day(CASE WHEN outcome = 'accepted' THEN responded_at ELSE created_at END) AS base_day,
               outcome IN ('accepted', 'sgl') AND r_won < %(won_share)s AS won,
               CASE WHEN r_stage < %(stage_1)s THEN 1 WHEN r_stage < %(stage_2)s THEN 2
                    WHEN r_stage < %(stage_3)s THEN 3 ELSE 4 END AS lost_stage,
               random() AS r_amount""",
            f"""*, CASE WHEN outcome IN ('pending', 'rejected') THEN 1 WHEN won THEN %(n_open)s
                        ELSE least(lost_stage, %(n_open)s) END AS open_count,
               CASE WHEN outcome = 'pending' THEN NULL WHEN outcome = 'rejected' THEN %(lost_id)s
                    WHEN won THEN %(won_id)s ELSE %(lost_id)s END AS close_id,
               ARRAY(SELECT moment FROM unnest(ARRAY[{positions}]) AS moment ORDER BY moment) AS later,
               random() AS r_service""",
            """*, CASE WHEN close_id IS NULL THEN (%(open_ids)s::bigint[])[1:open_count]
                       ELSE (%(open_ids)s::bigint[])[1:open_count] || close_id::bigint END AS path_phases,
               CASE WHEN outcome = 'rejected' THEN ARRAY[created_at, responded_at]
                    ELSE ARRAY[created_at] || later[1:open_count - 1 + (close_id IS NOT NULL)::int] END AS path_times,
               random() AS r_quantity""",
            """*, (SELECT count(*) FROM unnest(path_times) AS moment WHERE moment <= %(now)s)::int AS realized,
               random() AS r_attendees""",
            """*, CASE WHEN close_id IS NOT NULL AND realized = cardinality(path_times)
                       THEN CASE WHEN won THEN 'won' ELSE 'lost' END ELSE 'open' END AS status,
               random() AS r_close""",
            # How far it got: the open phases entered, or all of them and the won phase.
            """*, CASE WHEN status = 'won' THEN %(n_open)s + 1 ELSE least(realized, open_count) END AS reached,
               pg_temp.pick(%(fs_ids)s::bigint[], r_fs) AS fs_id,
               random() AS r_next, random() AS r_lost, random() AS r_feedback, random() AS r_feedback_kind,
               random() AS r_feedback_when, random() AS r_decision_maker, random() AS r_texts""",
            "row_number() OVER (ORDER BY created_at, lead_id, n) AS id, *",
        )
        params = {
            **phases,
            "n_open": n_open,
            "companies": companies,
            "first_day": first_day,
            "days": days,
            "now": now,
            "sgls": sgls,
            "won_share": WON_SHARE,
            "stage_1": LOST_STAGE_BOUNDS[0],
            "stage_2": LOST_STAGE_BOUNDS[1],
            "stage_3": LOST_STAGE_BOUNDS[2],
            "fs_ids": [rep.pk for rep in org["fs_reps"]],
            "last_names": LAST_NAMES,
        }
        cursor.execute(f"CREATE TEMPORARY TABLE bench_history_deals AS {plan}", params)
        cursor.execute("ALTER TABLE bench_history_deals ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE bench_history_deals")
    return sqls + sgls


def _insert_opportunities(*, today, **_context) -> int:
    """Each gate's fields are filled once the deal reached the phase that needs them, so every deal could
    have got where it is through opportunity_move."""
    from django.db import transaction

    from opportunities.models import Service

    params = {
        **_phases(),
        "today": today,
        "service_ids": list(Service.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)),
        "budgets": BUDGETS,
        "authorities": AUTHORITIES,
        "needs": BANT_NEEDS,
        "timeframes": TIMEFRAMES,
        "decision_makers": DECISION_MAKERS,
        "next_actions": NEXT_ACTIONS,
    }
    with transaction.atomic(), _history_cursor() as cursor, _bulk_load(cursor, "opportunities_opportunity"):
        cursor.execute(
            """
            INSERT INTO opportunities_opportunity (
                id, bant_budget, bant_authority, bant_needs, bant_timeframe, name, origin, phase_entered_at,
                status, amount, quantity, first_meeting_on, first_meeting_attendees, decision_maker,
                expected_close_on, contract_on, next_action_on, next_action, lost_note, closed_at,
                last_activity_at, created_at, updated_at, company_id, created_by_id, lost_reason_id,
                origin_lead_id, owner_id, phase_id, revived_from_id, service_id
            )
            SELECT
                d.id,
                -- FS completes BANT before the phase that needs it; before that, what IS heard.
                CASE WHEN reached >= %(bant_from)s AND bant_budget = ''
                     THEN pg_temp.pick(%(budgets)s::text[], r_texts) ELSE bant_budget END,
                CASE WHEN reached >= %(bant_from)s AND bant_authority = ''
                     THEN pg_temp.pick(%(authorities)s::text[], r_texts) ELSE bant_authority END,
                CASE WHEN reached >= %(bant_from)s AND bant_needs = ''
                     THEN pg_temp.pick(%(needs)s::text[], r_texts) ELSE bant_needs END,
                CASE WHEN reached >= %(bant_from)s AND bant_timeframe = ''
                     THEN pg_temp.pick(%(timeframes)s::text[], r_texts) ELSE bant_timeframe END,
                c.name || CASE WHEN lead_id IS NULL THEN ' 新規案件' ELSE ' / ' || last_name END,
                CASE WHEN lead_id IS NULL THEN 'sgl' ELSE 'sql' END,
                path_times[realized],
                status,
                CASE WHEN reached >= %(amount_from)s OR status = 'won'
                     THEN (round(exp(ln(300000) + r_amount * ln(100)) / 10000) * 10000)::bigint END,
                CASE WHEN reached >= %(amount_from)s OR status = 'won'
                     THEN 5 + floor(power(r_quantity, 2) * 500)::int END,
                CASE WHEN reached >= %(meeting_from)s THEN pg_temp.local_day(path_times[%(meeting_from)s]) END,
                CASE WHEN reached >= %(meeting_from)s THEN 1 + floor(r_attendees * 5)::int END,
                CASE WHEN reached >= %(decision_maker_from)s
                     THEN pg_temp.pick(%(decision_makers)s::text[], r_decision_maker) ELSE '' END,
                CASE WHEN reached >= %(close_from)s
                     THEN pg_temp.local_day(path_times[%(close_from)s]) + 30 + floor(r_close * 60)::int END,
                CASE WHEN status = 'won' THEN pg_temp.local_day(path_times[realized]) END,
                -- Open deals have their next step from a week overdue to three weeks ahead.
                CASE WHEN status = 'open' THEN %(today)s::date - 7 + floor(r_next * 29)::int END,
                CASE WHEN status = 'open' THEN pg_temp.pick(%(next_actions)s::text[], r_next) ELSE '' END,
                '',
                CASE WHEN status <> 'open' THEN path_times[realized] END,
                NULL,
                d.created_at,
                path_times[realized],
                d.company_id,
                coalesce(is_id, fs_id),
                CASE WHEN status = 'lost' AND outcome = 'rejected' THEN %(rejected_reason)s
                     WHEN status = 'lost' THEN pg_temp.pick(%(lost_reasons)s::bigint[], r_lost) END,
                lead_id, fs_id, path_phases[realized], NULL,
                CASE WHEN reached >= %(service_from)s OR status = 'won'
                     THEN pg_temp.pick(%(service_ids)s::bigint[], r_service) END
            FROM bench_history_deals AS d
            JOIN leads_company AS c ON c.id = d.company_id
            ORDER BY d.id
            """,
            params,
        )
        inserted = cursor.rowcount
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('opportunities_opportunity', 'id'), greatest(%s, 1))", [inserted]
        )
    return inserted


def _insert_phase_history() -> int:
    """A row per move made by now: into the first phase when the deal was created (by its creator), then
    each move by the FS owner, at increasing moments."""
    from django.db import transaction

    with transaction.atomic(), _history_cursor() as cursor, _bulk_load(cursor, "opportunities_phasehistory"):
        cursor.execute(
            """
            INSERT INTO opportunities_phasehistory (note, at, actor_id, from_phase_id, opportunity_id, to_phase_id)
            SELECT '', path_times[move], CASE WHEN move = 1 THEN coalesce(is_id, fs_id) ELSE fs_id END,
                   path_phases[move - 1], d.id, path_phases[move]
            FROM bench_history_deals AS d
            CROSS JOIN LATERAL generate_series(1, d.realized) AS move
            ORDER BY path_times[move], d.id
            """
        )
        inserted = cursor.rowcount
    return inserted


def _insert_handoffs(*, now, **_context) -> int:
    """The SQL handoff of each SQL deal, created with it: from the lead's owner to the deal's FS owner, the
    lead's temperature and BANT, FS's answer, and for some accepted ones feedback after the first meeting."""
    from django.db import transaction

    params = {
        "now": now,
        "meeting_from": _phases()["meeting_from"],
        "feedback_share": FEEDBACK_SHARE,
        "heard": HEARD,
        "why_now": WHY_NOW,
        "decision_processes": DECISION_PROCESSES,
        "to_confirm": TO_CONFIRM,
        "reject_reasons": REJECT_REASONS,
        "feedback_reasons": FEEDBACK_REASONS,
    }
    with transaction.atomic(), _history_cursor() as cursor, _bulk_load(cursor, "handoffs_handoff"):
        cursor.execute(
            """
            INSERT INTO handoffs_handoff (
                id, bant_budget, bant_authority, bant_needs, bant_timeframe, kind, status, temperature,
                heard, why_now, decision_process, to_confirm, reason, capacity_override_reason,
                responded_at, feedback, feedback_reason, feedback_at, created_at, updated_at,
                from_user_id, lead_id, opportunity_id, to_team_id, to_user_id
            )
            SELECT
                row_number() OVER (ORDER BY id), bant_budget, bant_authority, bant_needs, bant_timeframe,
                'is_to_fs', outcome, temperature,
                pg_temp.pick(%(heard)s::text[], r_texts), pg_temp.pick(%(why_now)s::text[], r_feedback_when),
                pg_temp.pick(%(decision_processes)s::text[], r_decision_maker),
                pg_temp.pick(%(to_confirm)s::text[], r_close),
                CASE WHEN outcome = 'rejected' THEN pg_temp.pick(%(reject_reasons)s::text[], r_lost) ELSE '' END,
                '',
                responded_at,
                CASE WHEN feedback_at IS NULL THEN ''
                     WHEN r_feedback_kind < 0.65 THEN 'yes' WHEN r_feedback_kind < 0.9 THEN 'partly' ELSE 'no' END,
                CASE WHEN feedback_at IS NOT NULL AND r_feedback_kind >= 0.65
                     THEN pg_temp.pick(%(feedback_reasons)s::text[], r_feedback) ELSE '' END,
                feedback_at,
                created_at,
                greatest(created_at, responded_at, feedback_at),
                is_id, lead_id, id, NULL, fs_id
            FROM (
                SELECT *,
                    CASE WHEN outcome = 'accepted' AND reached >= %(meeting_from)s AND r_feedback < %(feedback_share)s
                              AND path_times[%(meeting_from)s] + r_feedback_when * interval '3 days' <= %(now)s
                         THEN path_times[%(meeting_from)s] + r_feedback_when * interval '3 days' END AS feedback_at
                FROM bench_history_deals
                WHERE lead_id IS NOT NULL
            ) AS sqls
            ORDER BY id
            """,
            params,
        )
        inserted = cursor.rowcount
        cursor.execute("SELECT setval(pg_get_serial_sequence('handoffs_handoff', 'id'), greatest(%s, 1))", [inserted])
    return inserted


def _insert_recycles(**_context) -> int:
    """A recycle plan per recycled lead (its current reason), per SQL recycled before it became one, and
    for a few other leads: by the lead's owner, to approach again two weeks to six months later, on a day
    or (for some) in a week of a month."""
    from django.db import transaction

    params = {
        "week_share": WEEK_PRECISION_SHARE,
        "methods": RECYCLE_METHODS,
    }
    with transaction.atomic(), _history_cursor() as cursor, _bulk_load(cursor, "leads_leadrecycle"):
        cursor.execute(
            """
            INSERT INTO leads_leadrecycle (
                precision, approach_on, year, month, week, method, note, created_at, assignee_id, created_by_id,
                lead_id, reason_id
            )
            SELECT
                CASE WHEN by_week THEN 'week' ELSE 'day' END,
                CASE WHEN by_week THEN greatest(week_start, recycled_day + 1) ELSE target END,
                CASE WHEN by_week THEN extract(year FROM target)::int END,
                CASE WHEN by_week THEN extract(month FROM target)::int END,
                CASE WHEN by_week THEN week END,
                pg_temp.pick(%(methods)s::text[], r_method),
                '',
                recycle_at,
                CASE WHEN r_method < 0.3 THEN owner_id END,
                owner_id, id, recycle_reason_id
            FROM (
                SELECT *,
                    greatest(month_start, month_start - mod(month_start - DATE '2001-01-01', 7) + (week - 1) * 7)
                        AS week_start
                FROM (
                    SELECT *,
                        (extract(day FROM target)::int - 1 + mod(month_start - DATE '2001-01-01', 7)) / 7 + 1 AS week
                    FROM (
                        SELECT *, date_trunc('month', target)::date AS month_start
                        FROM (
                            SELECT id, owner_id, recycle_at, recycle_reason_id, recycled_day,
                                   recycled_day + 14 + floor(r_target * 166)::int AS target,
                                   r_precision < %(week_share)s AS by_week, r_method
                            FROM (
                                SELECT id, owner_id, recycle_at, recycle_reason_id,
                                       pg_temp.local_day(recycle_at) AS recycled_day,
                                       random() AS r_target, random() AS r_precision, random() AS r_method
                                FROM bench_history_leads
                                WHERE recycled
                            ) AS draws
                        ) AS targets
                    ) AS months
                ) AS weeks
            ) AS plans
            ORDER BY recycle_at, id
            """,
            params,
        )
        inserted = cursor.rowcount
    return inserted


def _vacuum_analyze() -> None:
    """Statistics for the planner and the visibility map a long-lived database has from autovacuum."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) leads_company, leads_lead, activities_activity, opportunities_opportunity, "
            "opportunities_phasehistory, handoffs_handoff, leads_leadrecycle"
        )
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
