"""The access-control matrix: every URL of the project × every role, in one table (``MATRIX``).

Each row names a URL (by its URL name), the HTTP method, the object it is called on and what each role
gets. The columns are the roles of ``visibility_world()`` (tests/worlds.py) plus an anonymous visitor:

    anon   nobody signed in
    is_a   IS rep of team A (SDR)              is_b   IS rep of team B (BDR), the other IS team
    fs_a   FS rep with team A's SQL and deal    fs_b   FS rep with team B's SQL, deal and a won deal
    cs     CS rep owning the won deal's account
    mgr    manager of IS team A                 mkt    Marketing              adm   administrator

A cell is the answer's status code, or
    L      302 to the sign-in page (pages; the API answers 401 instead)
    A      302 to the admin's own sign-in page
    NNNx   the role may see the object but the action is refused with NNN (a form error or a message):
           like every 401/403/404/405 and L cell, the database must be unchanged afterwards.

Forms are posted empty (except those in ``FORMS``), so an allowed write answers with its form errors
(400) or, for actions without a form, does it (302/200); every request runs in a transaction that is
rolled back, so the world is built once per module. Every 200 page a role opens must not name a lead,
deal, mail request or import outside the role's scope (``SCOPE``), and every API list returns exactly the role's scope.

Not in the table: the Django admin's own pages. The admin has its own permission system (staff flag and
model permissions, tested by Django); only its index is a row: staff get it, everyone else its sign-in.
``test_every_url_has_a_row`` fails for any other URL without a row, and for a row whose URL is gone.
"""

import json
from dataclasses import dataclass

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from leads.models import Lead, NurturingCheckpoint
from leads.services import campaign_email_request_create, import_job_create
from opportunities.models import Opportunity
from org.services import api_token_create
from tests.helpers import NOW, TODAY
from tests.leads.factories import source
from tests.worlds import visibility_world

pytestmark = pytest.mark.django_db

# The table's columns, and who each one is in visibility_world().
ROLES = ["anon", "is_a", "is_b", "fs_a", "fs_b", "cs", "mgr", "mkt", "adm"]
WORLD_NAME = {
    "is_a": "rep_a",
    "is_b": "rep_b",
    "fs_a": "fs_a",
    "fs_b": "fs_b",
    "cs": "cs",
    "mgr": "manager_a",
    "mkt": "marketer",
    "adm": "admin",
}

# What each role may see, written down from the rules in README "Who sees what" (not read from the selectors).
_ALL_LEADS = {"a_own", "a_pool", "b_own", "b_pool", "sql_a", "sql_b", "won_lead"}
SCOPE = {
    "leads": {
        "anon": set(),
        "is_a": {"a_own", "a_pool", "sql_a"},
        "is_b": {"b_own", "b_pool", "sql_b", "won_lead"},
        "fs_a": {"sql_a"},
        "fs_b": {"sql_b", "won_lead"},
        "cs": {"won_lead"},
        "mgr": {"a_own", "a_pool", "sql_a"},
        "mkt": _ALL_LEADS,
        "adm": _ALL_LEADS,
    },
    "deals": {
        "anon": set(),
        "is_a": {"deal_a"},
        "is_b": {"deal_b", "won_deal"},
        "fs_a": {"deal_a"},
        "fs_b": {"deal_b", "won_deal"},
        "cs": {"won_deal"},
        "mgr": {"deal_a"},
        "mkt": set(),
        "adm": {"deal_a", "deal_b", "won_deal"},
    },
    "handoffs": {
        "anon": set(),
        "is_a": {"h_a"},
        "is_b": {"h_b"},
        "fs_a": {"h_a"},
        "fs_b": {"h_b"},
        "cs": set(),
        "mgr": {"h_a"},
        "mkt": set(),
        "adm": {"h_a", "h_b"},
    },
    "activities": {
        "anon": set(),
        "is_a": {"call_a", "meet_a"},
        "is_b": {"call_b", "meet_b", "meet_won"},
        "fs_a": {"meet_a"},
        "fs_b": {"meet_b", "meet_won"},
        "cs": {"meet_won"},
        "mgr": {"call_a", "meet_a"},
        "mkt": {"call_a", "call_b"},
        "adm": {"call_a", "call_b", "meet_a", "meet_b", "meet_won"},
    },
    "accounts": {role: {"account"} if role in ("fs_b", "cs", "adm") else set() for role in ROLES},
    # A mail request of rep A: theirs, their manager's, Marketing's and the administrator's.
    "mail": {role: {"mail_a"} if role in ("is_a", "mgr", "mkt", "adm") else set() for role in ROLES},
    # An import Marketing ran: Marketing's and the administrator's (a manager sees only their own).
    "imports": {role: {"import_m"} if role in ("mkt", "adm") else set() for role in ROLES},
    "companies": {role: set() if role == "anon" else {f"company:{lead}" for lead in _ALL_LEADS} for role in ROLES},
}


def marker(name: str) -> str:
    return f"〔{name}〕"


# -- the table ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    url: str
    method: str
    target: str | None
    cells: str

    def expected(self) -> dict[str, str]:
        cells = self.cells.split()
        assert len(cells) == len(ROLES), f"{self.url}: {len(cells)} cells for {len(ROLES)} roles"
        return dict(zip(ROLES, cells, strict=True))

    @property
    def id(self) -> str:
        return f"{self.method} {self.url} {self.target or ''}".strip()


R = Row
# Rows posted with a valid form instead of an empty one, where an empty one would not reach the refusal.
FORMS = {("opportunities:cs_detail", "post"): {"health": "red", "success_definition": "勤怠締めが1日で終わる"}}
# The API lists: the ids each returns must be exactly the role's scope of that kind.
API_LISTS = {
    "handoff-list": "handoffs",
    "opportunity-list": "deals",
    "lead-list": "leads",
    "activity-list": "activities",
    "company-list": "companies",
}
# The lead page names its company's deals in summary (whose, which phase), so that nobody calls a company
# in the middle of a negotiation blind: there a deal outside the role's scope may be named.
NAMES_COMPANY_DEALS = {"leads:detail"}


# fmt: off
MATRIX = [
    #  url name                      method    target           anon is_a is_b fs_a fs_b cs   mgr  mkt  adm
    # -- sign-in, profile, language, health --------------------------------------------------------------
    R("home",                        "get",    None,            "L    302  302  302  302  302  200  200  200"),
    R("login",                       "get",    None,            "200  302  302  302  302  302  302  302  302"),
    R("login",                       "post",   None,            "200  302  302  302  302  302  302  302  302"),
    R("logout",                      "post",   None,            "302  302  302  302  302  302  302  302  302"),
    R("logout",                      "get",    None,            "405  405  405  405  405  405  405  405  405"),
    R("profile",                     "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("profile",                     "post",   None,            "L    200  200  200  200  200  200  200  200"),
    # An API key is personal: nobody else revokes it, not even an administrator (they deactivate the user).
    R("token_revoke",                "post",   "token_a",       "L    302  404  404  404  404  404  404  404"),
    R("password_change",             "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("password_change",             "post",   None,            "L    200  200  200  200  200  200  200  200"),
    R("token_revoke",                "get",    "token_a",       "L    405  405  405  405  405  405  405  405"),
    R("set_language",                "post",   None,            "302  302  302  302  302  302  302  302  302"),
    R("health",                      "get",    None,            "200  200  200  200  200  200  200  200  200"),
    R("health",                      "post",   None,            "405  405  405  405  405  405  405  405  405"),
    R("admin:index",                 "get",    None,            "A    A    A    A    A    A    A    A    200"),
    # -- the IS workspace: queue, lead page and its actions ----------------------------------------------
    R("leads:queue",                 "get",    None,            "L    200  200  200  200  200  200  200  200"),
    # The page names the company's deals in summary (NAMES_COMPANY_DEALS).
    R("leads:detail",                "get",    "a_own",         "L    200  404  404  404  404  200  200  200"),
    R("leads:detail",                "get",    "sql_a",         "L    200  404  200  404  404  200  200  200"),
    R("leads:detail",                "post",   "a_own",         "L    405  405  405  405  405  405  405  405"),
    R("leads:log",                   "post",   "a_own",         "L    400  404  404  404  404  400  403  400"),
    R("leads:log",                   "post",   "sql_a",         "L    400  404  403  404  404  400  403  400"),
    R("leads:log",                   "get",    "a_own",         "L    405  405  405  405  405  405  405  405"),
    R("leads:recycle",               "post",   "a_own",         "L    400  404  404  404  404  400  403  400"),
    # Every item optional.
    R("leads:bant",                  "post",   "a_own",         "L    302  404  404  404  404  302  403  302"),
    R("leads:nurture",               "post",   "a_own",         "L    400  404  404  404  404  400  403  400"),
    R("leads:disqualify",            "post",   "a_own",         "L    400  404  404  404  404  400  403  400"),
    R("leads:handoff",               "post",   "a_own",         "L    400  404  404  404  404  400  403  400"),
    R("leads:checkpoint",            "post",   "step_a",        "L    302  404  404  404  404  302  403  302"),
    R("leads:mql_review",            "post",   "a_own",         "L    400  404  404  404  404  400  403  400"),
    # -- inbound distribution (managers of the teams, administrators) ------------------------------------
    R("leads:distribution",          "get",    None,            "L    403  403  403  403  403  200  403  200"),
    R("leads:rep_shift",             "post",   "rep_a",         "L    404  404  404  404  404  302  404  302"),
    R("leads:rep_shift",             "post",   "rep_b",         "L    404  404  404  404  404  404  404  302"),
    # -- lead import (Marketing, managers, administrators; a manager sees their own imports) --------------
    R("leads:imports",               "get",    None,            "L    403  403  403  403  403  200  200  200"),
    # The form again.
    R("leads:imports",               "post",   None,            "L    403  403  403  403  403  200  200  200"),
    R("leads:import_detail",         "get",    "import_m",      "L    403  403  403  403  403  404  200  200"),
    R("leads:import_progress",       "get",    "import_m",      "L    403  403  403  403  403  404  200  200"),
    R("leads:import_columns",        "post",   "import_m",      "L    403  403  403  403  403  404  400  400"),
    R("leads:import_columns",        "get",    "import_m",      "L    405  405  405  405  405  405  405  405"),
    R("leads:import_file",           "post",   "import_m",      "L    403  403  403  403  403  404  400  400"),
    R("leads:import_run",            "post",   "import_m",      "L    403  403  403  403  403  404  400  400"),
    R("leads:import_errors",         "get",    "import_m",      "L    403  403  403  403  403  404  200  200"),
    # -- Marketing: lead quality and mail requests ----------------------------------------------------------
    R("leads:mql_quality",           "get",    None,            "L    403  403  403  403  403  200  200  200"),
    R("leads:email_requests",        "get",    None,            "L    200  200  403  403  403  200  200  200"),
    R("leads:email_request_new",     "get",    None,            "L    200  200  403  403  403  200  403  200"),
    R("leads:email_request_new",     "post",   None,            "L    400  400  403  403  403  400  403  400"),
    R("leads:email_request",         "get",    "mail_a",        "L    200  404  404  404  404  200  200  200"),
    R("leads:email_request_action",  "post",   "mail_a_accept", "L    403  404  404  404  404  403  302  302"),
    # -- FS: inbox, SQL pages and answers ---------------------------------------------------------------------
    R("handoffs:inbox",              "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("handoffs:my_sqls",            "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("handoffs:detail",             "get",    "h_a",           "L    200  404  200  404  404  200  404  200"),
    R("handoffs:accept",             "post",   "h_a",           "L    302x 404  302  404  404  302x 404  302"),
    R("handoffs:reject",             "post",   "h_a",           "L    400x 404  400  404  404  400x 404  400"),
    R("handoffs:feedback",           "post",   "h_a",           "L    400x 404  400  404  404  400x 404  400"),
    # -- deals -----------------------------------------------------------------------------------------------
    R("opportunities:list",          "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("opportunities:board",         "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("opportunities:create",        "get",    None,            "L    403  403  200  200  403  403  403  403"),
    # The form again.
    R("opportunities:create",        "post",   None,            "L    403  403  200  200  403  403  403  403"),
    R("opportunities:detail",        "get",    "deal_a",        "L    200  404  200  404  404  200  404  200"),
    # -- the trash: administrators only ------------------------------------------------------------------
    R("leads:delete",                "get",    "a_own",         "L    403  403  403  403  403  403  403  200"),
    R("leads:delete",                "post",   "a_own",         "L    403  403  403  403  403  403  403  302"),
    R("leads:company_delete",        "get",    "company",       "L    403  403  403  403  403  403  403  200"),
    R("leads:company_delete",        "post",   "company",       "L    403  403  403  403  403  403  403  302"),
    R("opportunities:delete",        "get",    "deal_a",        "L    403  403  403  403  403  403  403  200"),
    R("opportunities:delete",        "post",   "deal_a",        "L    403  403  403  403  403  403  403  302"),
    R("leads:trash",                 "get",    None,            "L    403  403  403  403  403  403  403  200"),
    R("leads:trash",                 "post",   None,            "L    405  405  405  405  405  405  405  405"),
    R("leads:trash_restore",         "post",   "trash_lead",    "L    403  403  403  403  403  403  403  302"),
    R("leads:trash_restore",         "get",    "trash_lead",    "L    405  405  405  405  405  405  405  405"),
    R("opportunities:update",        "post",   "deal_a",        "L    400x 404  400  404  404  400  404  400"),
    R("opportunities:lose",          "post",   "deal_a",        "L    400x 404  400  404  404  400  404  400"),
    R("opportunities:win",           "post",   "deal_a",        "L    400x 404  400  404  404  400  404  400"),
    R("opportunities:send_back",     "post",   "deal_a",        "L    400x 404  400  404  404  400  404  400"),
    R("opportunities:log",           "post",   "deal_a",        "L    403  404  400  404  404  400  404  400"),
    R("opportunities:cs_list",       "get",    None,            "L    200  200  200  200  200  200  200  200"),
    R("opportunities:cs_detail",     "get",    "account",       "L    404  404  404  200  200  404  404  200"),
    # Posted with a valid form (FORMS): the FS rep who won the deal reads the account, CS keeps it.
    R("opportunities:cs_detail",     "post",   "account",       "L    404  404  404  403  302  404  404  302"),
    R("opportunities:cs_expand",     "post",   "account",       "L    404  404  404  403  400  404  404  400"),
    # -- dashboards (managers, Marketing, administrators; alerts: everyone their own) --------------------------
    R("dashboards:funnel",           "get",    None,            "L    403  403  403  403  403  200  200  200"),
    R("dashboards:board",            "get",    "board",         "L    403  403  403  403  403  200  200  200"),
    # No metric asked.
    R("dashboards:records",          "get",    None,            "L    403  403  403  403  403  400  400  400"),
    R("dashboards:planner",          "get",    None,            "L    403  403  403  403  403  200  200  200"),
    R("dashboards:planner",          "post",   None,            "L    403  403  403  403  403  200  200  200"),
    R("dashboards:alerts",           "get",    None,            "L    200  200  200  200  200  200  200  200"),
    # -- the API: session or key; anonymous callers get 401 --------------------------------------------------
    R("handoff-list",                "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("handoff-list",                "post",   None,            "401  405  405  405  405  405  405  405  405"),
    R("handoff-detail",              "get",    "h_a",           "401  200  404  200  404  404  200  404  200"),
    R("handoff-detail",              "delete", "h_a",           "401  405  405  405  405  405  405  405  405"),
    R("handoff-accept",              "post",   "h_a",           "401  400x 404  200  404  404  400x 404  200"),
    R("handoff-reject",              "post",   "h_a",           "401  400x 404  400  404  404  400x 404  400"),
    R("handoff-feedback",            "post",   "h_a",           "401  400x 404  400  404  404  400x 404  400"),
    R("opportunity-list",            "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("opportunity-list",            "post",   None,            "401  405  405  405  405  405  405  405  405"),
    R("opportunity-detail",          "get",    "deal_a",        "401  200  404  200  404  404  200  404  200"),
    R("opportunity-detail",          "patch",  "deal_a",        "401  403  404  200  404  404  200  404  200"),
    R("opportunity-detail",          "put",    "deal_a",        "401  405  405  405  405  405  405  405  405"),
    R("opportunity-detail",          "delete", "deal_a",        "401  405  405  405  405  405  405  405  405"),
    R("opportunity-move",            "post",   "deal_a",        "401  400x 404  400  404  404  400  404  400"),
    R("lead-list",                   "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("lead-list",                   "post",   None,            "401  405  405  405  405  405  405  405  405"),
    R("lead-detail",                 "get",    "a_own",         "401  200  404  404  404  404  200  200  200"),
    R("lead-detail",                 "patch",  "a_own",         "401  405  405  405  405  405  405  405  405"),
    R("company-list",                "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("company-detail",              "get",    "company",       "401  200  200  200  200  200  200  200  200"),
    R("company-detail",              "delete", "company",       "401  405  405  405  405  405  405  405  405"),
    R("activity-list",               "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("activity-list",               "post",   None,            "401  400  400  400  400  403  400  403  400"),
    R("activity-detail",             "get",    "call_a",        "401  200  404  404  404  404  200  200  200"),
    R("activity-detail",             "delete", "call_a",        "401  405  405  405  405  405  405  405  405"),
    R("phase-list",                  "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("lost-reason-list",            "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("recycle-reason-list",         "get",    None,            "401  200  200  200  200  200  200  200  200"),
    R("metric-list",                 "get",    None,            "401  403  403  403  403  403  200  200  200"),
    R("metric-detail",               "get",    "metric",        "401  403  403  403  403  403  200  200  200"),
    # The MA tool's webhook authenticates by signature only: a session or key does not replace it.
    R("touchpoint-webhook",          "post",   None,            "401  401  401  401  401  401  401  401  401"),
    R("touchpoint-webhook",          "get",    None,            "405  405  405  405  405  405  405  405  405"),
    # The API's description is public: it holds no data, and integrators read it before they have a key.
    R("api-schema",                  "get",    None,            "200  200  200  200  200  200  200  200  200"),
    R("api-docs",                    "get",    None,            "200  200  200  200  200  200  200  200  200"),
]
# fmt: on

# URL arguments of each target, from the world.
TARGETS = {
    "a_own": lambda w: {"pk": w["a_own"].pk},
    "sql_a": lambda w: {"pk": w["sql_a"].pk},
    "step_a": lambda w: {"pk": w["a_own"].pk, "checkpoint_pk": w["step_a"].pk},
    "rep_a": lambda w: {"pk": w["rep_a"].pk},
    "rep_b": lambda w: {"pk": w["rep_b"].pk},
    "token_a": lambda w: {"pk": w["token_a"].pk},
    "import_m": lambda w: {"pk": w["import_m"].pk},
    "mail_a": lambda w: {"pk": w["mail_a"].pk},
    "mail_a_accept": lambda w: {"pk": w["mail_a"].pk, "action": "accept"},
    "h_a": lambda w: {"pk": w["h_a"].pk},
    "deal_a": lambda w: {"pk": w["deal_a"].pk},
    "account": lambda w: {"pk": w["account"].pk},
    "board": lambda w: {"key": "reps"},
    "company": lambda w: {"pk": w["b_own"].company_id},
    "call_a": lambda w: {"pk": w["call_a"].pk},
    "metric": lambda w: {"code": "sqls"},
    "trash_lead": lambda w: {"kind": "lead", "pk": w["a_own"].pk},
}
REFUSED = {"L", "A", "401", "403", "404", "405"}


# -- the world, built once for the module ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """visibility_world() with a mail request of rep A, an import by Marketing, a key of rep A, a nurturing
    step, and every lead, deal, mail request and import marked by name; rolled back after the module."""
    with time_machine.travel(NOW, tick=False), django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        w = visibility_world()
        for name in _ALL_LEADS:
            Lead.objects.filter(pk=w[name].pk).update(last_name=marker(name))
            w[name].company.__class__.objects.filter(pk=w[name].company_id).update(name=marker(f"company:{name}"))
        for name in _ALL_DEALS:
            Opportunity.objects.filter(pk=w[name].pk).update(name=marker(name))
        w["token_a"], _key = api_token_create(user=w["rep_a"], name="dialer")
        w["step_a"] = NurturingCheckpoint.objects.filter(source=w["a_own"].source, is_active=True).first() or (
            NurturingCheckpoint.objects.create(source=w["a_own"].source, title_ja="確認", title_en="Check")
        )
        w["mail_a"] = campaign_email_request_create(
            actor=w["rep_a"],
            subject=marker("mail_a"),
            body="本文",
            recipient_list="展示会リスト",
            desired_send_on=TODAY,
        )
        w["import_m"] = import_job_create(
            actor=w["marketer"],
            file_name=f"{marker('import_m')}.csv",
            data="会社名,氏名\n株式会社テスト,山田 太郎\n".encode(),
            source=source("trade_show"),
        )
        w["sessions"] = {}
        for role, name in WORLD_NAME.items():
            client = Client()
            client.force_login(w[name])
            w["sessions"][role] = client.session.session_key
        yield w
        transaction.set_rollback(True)


def client_for(w, role: str) -> Client:
    client = Client()
    if role != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = w["sessions"][role]
    return client


def outcome(response) -> str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(resolve_url(settings.LOGIN_URL) + "?"):
            return "L"
        if location.startswith(reverse("admin:login")):
            return "A"
    return str(response.status_code)


OWN_APPS = ("org", "leads", "activities", "handoffs", "opportunities", "dashboards")


def db_state():
    """Every row of the project's own tables (the world is small), to prove a refused request wrote nothing:
    on PostgreSQL one digest per table in one query, elsewhere the rows themselves."""
    models = [model for label in OWN_APPS for model in apps.get_app_config(label).get_models()]
    if connection.vendor == "postgresql":
        digests = ", ".join(
            f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{m._meta.db_table}\" t)"
            for m in models
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {digests}")
            return dict(zip((m._meta.db_table for m in models), cursor.fetchone(), strict=True))
    return {m._meta.db_table: list(m.objects.order_by("pk").values_list()) for m in models}


def call(w, row: Row, role: str):
    url = reverse(row.url, kwargs=TARGETS[row.target](w) if row.target else None)
    client = client_for(w, role)
    if url.startswith("/api/v1/") and row.method != "get":
        return getattr(client, row.method)(url, json.dumps({}), content_type="application/json")
    return getattr(client, row.method)(url, FORMS.get((row.url, row.method), {}))


_ALL_DEALS = {"deal_a", "deal_b", "won_deal"}


def company_deal_markers(w, row: Row) -> set[str]:
    if row.url not in NAMES_COMPANY_DEALS:
        return set()
    company_id = w[row.target].company_id
    return {marker(name) for name in _ALL_DEALS if w[name].company_id == company_id}


def out_of_scope_markers(role: str) -> list[str]:
    every = {
        "leads": _ALL_LEADS,
        "deals": _ALL_DEALS,
        "mail": {"mail_a"},
        "imports": {"import_m"},
    }
    return [marker(name) for kind, names in every.items() for name in sorted(names - SCOPE[kind][role])]


def listed_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def scope_ids(w, kind: str, role: str) -> set[int]:
    if kind == "companies":
        return {w[name.split(":")[1]].company_id for name in SCOPE[kind][role]}
    return {w[name].pk for name in SCOPE[kind][role]}


@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
def test_each_role_gets_what_the_table_says(world, row):
    """One row of the table, for every role: the answer, nothing written when refused, nothing out of scope."""
    expected = row.expected()
    got, problems = {}, {}
    for role in ROLES:
        refused = expected[role] in REFUSED or expected[role].endswith("x")
        with transaction.atomic():
            before = db_state() if refused and row.method != "get" else None
            response = call(world, row, role)
            got[role] = outcome(response) + ("x" if expected[role].endswith("x") else "")
            if before is not None and db_state() != before:
                problems[role] = "a refused request changed the database"
            elif response.status_code == 200 and row.method == "get":
                content = response.content.decode()
                shown = company_deal_markers(world, row)
                leaked = [name for name in out_of_scope_markers(role) if name in content and name not in shown]
                if leaked:
                    problems[role] = f"shows what the role may not see: {leaked}"
                kind = API_LISTS.get(row.url)
                if kind and listed_ids(response) != scope_ids(world, kind, role):
                    problems[role] = f"lists {sorted(listed_ids(response))}, not the {kind} in scope"
            transaction.set_rollback(True)

    wrong = {role: f"{got[role]}, table says {expected[role]}" for role in ROLES if got[role] != expected[role]}
    found = {**wrong, **problems}
    assert not found, f"{row.id}:\n" + "\n".join(f"  {role}: {what}" for role, what in found.items())


def _url_names(patterns, namespace="") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                continue  # the admin's own permission system; its index has a row
            names |= _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            names.add(f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>")
    return names


def test_every_url_has_a_row():
    """A new view or endpoint needs its rows in MATRIX; a row whose URL is gone must go."""
    urls = _url_names(get_resolver().url_patterns) | {"admin:index"}
    in_table = {row.url for row in MATRIX}

    assert {"URLs without a row": sorted(urls - in_table), "rows of no URL": sorted(in_table - urls)} == {
        "URLs without a row": [],
        "rows of no URL": [],
    }


def test_the_scopes_hold_every_role():
    assert all(set(by_role) == set(ROLES) for by_role in SCOPE.values())
