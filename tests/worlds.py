"""Small, explicit worlds for page and browser tests, built through the services."""

from datetime import date

from django.utils import timezone

from activities.services import activity_log
from handoffs.services import handoff_create_sql
from leads.models import Lead, LeadSource
from leads.services import company_create, lead_create, lead_update_bant
from opportunities.models import Opportunity
from org.models import Team
from org.services import user_create
from tests.leads.factories import LeadFactory, lead_in_status, lead_with_bant
from tests.opportunities.factories import CSAccountFactory
from tests.org.factories import TeamFactory, UserFactory

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


def _sql(lead, to_user):
    return handoff_create_sql(
        lead=lead, actor=lead.owner, to_user=to_user, heard="予算あり", why_now="", decision_process="", to_confirm=""
    )


def _call(actor, **subject):
    return activity_log(actor=actor, kind="call", direction="outbound", connected=True, **subject)


def _meeting(actor, opportunity):
    return activity_log(actor=actor, kind="web_meeting", direction="outbound", opportunity=opportunity)


def visibility_world() -> dict:
    """Two IS teams (A: SDR, B: BDR), each with a rep, an owned lead and a pooled lead; A's manager; two FS
    reps with an SQL each (B's FS team has a manager); B's rep also has a won deal with a CS account."""
    team_a, team_b = TeamFactory(name="A"), TeamFactory(name="B", bdr=True)
    w = {
        "admin": UserFactory(admin=True),
        "marketer": UserFactory(marketing=True),
        "rep_a": UserFactory(team=team_a),
        "rep_b": UserFactory(team=team_b),
        "manager_a": UserFactory(manager=True, manages=[team_a]),
        "fs_a": UserFactory(fs=True),
        "fs_b": UserFactory(fs=True),
        "cs": UserFactory(cs=True),
        "inactive": UserFactory(team=team_a, is_active=False),
    }
    w["manager_fs_b"] = UserFactory(manager=True, manages=[w["fs_b"].team])
    w["a_own"] = LeadFactory(owner=w["rep_a"])
    w["a_pool"] = LeadFactory(owner=None, team=team_a)
    w["b_own"] = LeadFactory(owner=w["rep_b"])
    w["b_pool"] = LeadFactory(owner=None, team=team_b)
    w["h_a"] = _sql(lead_with_bant(owner=w["rep_a"]), w["fs_a"])
    w["h_b"] = _sql(lead_with_bant(owner=w["rep_b"]), w["fs_b"])
    w["sql_a"], w["deal_a"] = w["h_a"].lead, w["h_a"].opportunity
    w["sql_b"], w["deal_b"] = w["h_b"].lead, w["h_b"].opportunity
    w["won_lead"] = lead_in_status(Lead.Status.QUALIFIED, owner=w["rep_b"])
    w["account"] = CSAccountFactory(
        owner=w["cs"],
        opportunity__owner=w["fs_b"],
        opportunity__origin=Opportunity.Origin.SQL,
        opportunity__origin_lead=w["won_lead"],
        opportunity__company=w["won_lead"].company,
    )
    w["won_deal"] = w["account"].opportunity
    w["call_a"] = _call(w["rep_a"], lead=w["a_own"])
    w["call_b"] = _call(w["rep_b"], lead=w["b_own"])
    w["meet_a"] = _meeting(w["fs_a"], w["deal_a"])
    w["meet_b"] = _meeting(w["fs_b"], w["deal_b"])
    w["meet_won"] = _meeting(w["fs_b"], w["won_deal"])
    return w
