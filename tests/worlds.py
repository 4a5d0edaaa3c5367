"""Small, explicit worlds for page and browser tests, built through the services."""

from datetime import date

from django.utils import timezone

from handoffs.services import handoff_create_sql
from leads.models import LeadSource
from leads.services import company_create, lead_create, lead_update_bant
from org.models import Team
from org.services import user_create

PASSWORD = "world-pass-2024"


def pipeline_world() -> dict:
    """An SDR and a recycle team with their manager, two FS reps, a CS rep and an admin."""
    w = {}
    w["is_manager"] = user_create(username="ismgr", password=PASSWORD, role="manager")
    w["sdr"] = Team.objects.create(name="SDR", kind=Team.Kind.SDR, manager=w["is_manager"])
    w["recycle"] = Team.objects.create(name="Recycle", kind=Team.Kind.RECYCLE, manager=w["is_manager"])
    fs_team = Team.objects.create(name="FS SMB", kind=Team.Kind.FS_SEGMENT, segment="31-100")
    cs_team = Team.objects.create(name="CS", kind=Team.Kind.CS)
    w["rep"] = user_create(username="rep", password=PASSWORD, role="is", team=w["sdr"], last_name="佐藤")
    w["recycler"] = user_create(username="recycler", password=PASSWORD, role="is", team=w["recycle"])
    w["fs_a"] = user_create(username="fsa", password=PASSWORD, role="fs", team=fs_team, last_name="鈴木")
    w["fs_b"] = user_create(username="fsb", password=PASSWORD, role="fs", team=fs_team, last_name="高橋")
    w["cs"] = user_create(username="cs", password=PASSWORD, role="cs", team=cs_team, last_name="田中")
    w["source"] = LeadSource.objects.get(code="web_inquiry")
    return w


def qualified_lead(w, *, name="山田", employees=50, due: date | None = None):
    company = company_create(name=f"株式会社{name}", employee_count=employees, prefecture="13")
    lead = lead_create(
        actor=None,
        company=company,
        last_name=name,
        source=w["source"],
        origin="inbound",
        owner=w["rep"],
        next_approach_on=due or timezone.localdate(),
    )
    return lead_update_bant(
        lead=lead, actor=w["rep"], budget="300万円", authority="部長", needs="勤怠集計の自動化", timeframe="4月"
    )


def sql(w, *, to="fs_a", name="山田", **kwargs):
    lead = qualified_lead(w, name=name, **kwargs)
    return handoff_create_sql(
        lead=lead,
        actor=w["rep"],
        to_user=w[to],
        heard="予算300万円、4月導入、部長決裁",
        why_now="法改正",
        decision_process="部長→役員会",
        to_confirm="給与システム連携",
    )
