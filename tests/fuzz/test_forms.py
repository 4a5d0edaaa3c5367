"""Every page form, posted with garbage, oversized and hostile values, as a user allowed to post it.

For each form: every field at once, then each field of an otherwise valid submission, with markup, SQL,
full-width digits, emoji and RTL marks in one value, a NUL character, and 100,000 characters. No answer may
be a server error; a refused submission (4xx) shows its errors and leaves every table as it was; no answer
(nor the page a success redirects to) holds the hostile markup unescaped. Each post runs in a savepoint
rolled back after it, so every submission meets the same world.

``test_every_post_view_is_fuzzed`` keeps the list complete: any page URL that accepts a POST must be in it.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from activities.forms import LogActivityForm
from dashboards.forms import KpiPlanForm
from handoffs.forms import FeedbackForm, RejectForm, SqlHandoffForm
from handoffs.services import handoff_accept
from leads.forms import (
    BantForm,
    CampaignEmailRequestForm,
    DisqualifyForm,
    EmailRequestDeclineForm,
    EmailRequestScheduleForm,
    ImportColumnsForm,
    ImportRunForm,
    ImportUploadForm,
    MqlReviewForm,
    NurtureForm,
    RecycleForm,
)
from leads.models import NurturingCheckpoint, RecycleReason
from leads.services import campaign_email_request_create, import_job_create
from opportunities.forms import (
    CSAccountForm,
    DealActivityForm,
    DealForm,
    ExpansionDealForm,
    LoseForm,
    SendBackForm,
    SglForm,
    WinForm,
)
from opportunities.models import LostReason
from org.services import api_token_create, user_create
from tests.fuzz.strategies import SCRIPT
from tests.helpers import TODAY
from tests.opportunities.factories import CSAccountFactory, OpportunityFactory
from tests.worlds import PASSWORD, pipeline_world, qualified_lead, sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

IMG = '"><img src=x onerror=alert(1)>'
COMBINED = f"{SCRIPT}{IMG}'; DROP TABLE leads_lead; --１２３😀\u202eevil\u202c"
NUL = "ok\x00ok"
OVERSIZED = "あ" * 100_000
HOSTILE = {"combined": COMBINED, "nul": NUL, "oversized": OVERSIZED}
RAW_MARKUP = (SCRIPT.encode(), IMG.encode())
ERROR_MARKERS = (b'role="alert"', b'class="error', b'class="errors')


@dataclass
class Target:
    """One form: where it posts, who posts it, its fields, and a submission that passes."""

    url: str
    user: str
    fields: list[str]
    valid: dict = field(default_factory=dict)
    files: tuple[str, ...] = ()


def names(form) -> list[str]:
    return list(form.fields)


@pytest.fixture
def site():
    w = pipeline_world()
    w["admin"] = user_create(username="admin", password=PASSWORD, role="admin")
    w["marketer"] = user_create(username="mkt", password=PASSWORD, role="marketing")
    w["pending"] = sql(w, to="fs_a", name="山田")
    w["accepted"] = handoff_accept(handoff=sql(w, to="fs_a", name="田中"), actor=w["fs_a"])
    w["deal"] = w["accepted"].opportunity
    w["lead"] = qualified_lead(w, name="佐藤")
    w["account"] = CSAccountFactory(
        owner=w["cs"], opportunity=OpportunityFactory(won=True, owner=w["fs_a"], company=w["lead"].company)
    )
    w["mail"] = campaign_email_request_create(
        actor=w["rep"], subject="件名", body="本文", recipient_list="展示会", desired_send_on=TODAY + timedelta(days=7)
    )
    w["job"] = import_job_create(
        actor=w["admin"],
        file_name="leads.csv",
        data="会社名,氏名,メールアドレス\n株式会社A,山田 太郎,=1+1\n".encode(),
        source=w["source"],
    )
    w["checkpoint"] = NurturingCheckpoint.objects.filter(source=w["source"]).first()
    w["token"], _key = api_token_create(user=w["admin"], name="tool")
    return w


def targets(w) -> dict[str, Target]:
    lead, deal, job = w["lead"].pk, w["deal"].pk, w["job"]
    timing = RecycleReason.objects.get(code="timing").pk
    day = (TODAY + timedelta(days=5)).isoformat()
    deal_form = DealForm(opportunity=w["deal"])
    deal_valid = {k: ("" if v is None else v) for k, v in deal_form.initial.items()} | {"next_action_on": day}
    return {
        "leads:log": Target(
            reverse("leads:log", args=[lead]),
            "admin",
            names(LogActivityForm()),
            {"kind": "call", "direction": "outbound", "connected": "1", "next_approach_on": day},
        ),
        "leads:recycle": Target(
            reverse("leads:recycle", args=[lead]),
            "admin",
            names(RecycleForm()),
            {"reason": timing, "approach_on": day, "method": "call"},
        ),
        "leads:bant": Target(
            reverse("leads:bant", args=[lead]),
            "admin",
            names(BantForm()),
            {"budget": "予算", "authority": "部長", "needs": "効率化", "timeframe": "4月"},
        ),
        "leads:nurture": Target(
            reverse("leads:nurture", args=[lead]),
            "admin",
            names(NurtureForm()),
            {"reason": "来期", "next_approach_on": day},
        ),
        "leads:disqualify": Target(
            reverse("leads:disqualify", args=[lead]), "admin", names(DisqualifyForm()), {"reason": "競合"}
        ),
        "leads:handoff": Target(
            reverse("leads:handoff", args=[lead]),
            "admin",
            names(SqlHandoffForm()),
            {"to_user": w["fs_b"].pk, "heard": "予算あり"},
        ),
        "leads:checkpoint": Target(
            reverse("leads:checkpoint", args=[lead, w["checkpoint"].pk]), "admin", ["outcome"], {"outcome": "done"}
        ),
        "leads:mql_review": Target(
            reverse("leads:mql_review", args=[lead]), "admin", names(MqlReviewForm()), {"verdict": "accepted"}
        ),
        "leads:rep_shift": Target(
            reverse("leads:rep_shift", args=[w["rep"].pk]), "is_manager", ["on_shift"], {"on_shift": "0"}
        ),
        "leads:imports": Target(
            reverse("leads:imports"),
            "admin",
            names(ImportUploadForm()),
            {"source": w["source"].pk, "file": "会社名,氏名\n株式会社B,田中 一郎\n"},
            files=("file",),
        ),
        "leads:import_columns": Target(
            reverse("leads:import_columns", args=[job.pk]),
            "admin",
            names(ImportColumnsForm(headers=job.headers)),
            {f"col_{name}": heading for name, heading in job.columns.items()},
        ),
        "leads:import_file": Target(
            reverse("leads:import_file", args=[job.pk]),
            "admin",
            ["file"],
            {"file": "会社名,氏名\n株式会社C,鈴木 花子\n"},
            files=("file",),
        ),
        "leads:import_run": Target(
            reverse("leads:import_run", args=[job.pk]), "admin", names(ImportRunForm()), {"mode": "valid_only"}
        ),
        "leads:email_request_new": Target(
            reverse("leads:email_request_new"),
            "rep",
            names(CampaignEmailRequestForm()),
            {"subject": "件名", "body": "本文", "recipient_list": "リスト", "desired_send_on": day},
        ),
        **{
            f"leads:email_request_action:{action}": Target(
                reverse("leads:email_request_action", args=[w["mail"].pk, action]), "marketer", fields, valid
            )
            for action, fields, valid in [
                ("accept", [], {}),
                ("schedule", names(EmailRequestScheduleForm()), {"scheduled_for": f"{day}T10:00"}),
                ("sent", [], {}),
                ("decline", names(EmailRequestDeclineForm()), {"reason": "時期が悪い"}),
            ]
        },
        "handoffs:accept": Target(reverse("handoffs:accept", args=[w["pending"].pk]), "fs_a", []),
        "handoffs:reject": Target(
            reverse("handoffs:reject", args=[w["pending"].pk]), "fs_a", names(RejectForm()), {"reason": "予算なし"}
        ),
        "handoffs:feedback": Target(
            reverse("handoffs:feedback", args=[w["accepted"].pk]), "fs_a", names(FeedbackForm()), {"feedback": "yes"}
        ),
        "opportunities:update": Target(
            reverse("opportunities:update", args=[deal]), "fs_a", names(deal_form), deal_valid
        ),
        "opportunities:lose": Target(
            reverse("opportunities:lose", args=[deal]),
            "fs_a",
            names(LoseForm()),
            {"lost_reason": LostReason.objects.get(code="price").pk},
        ),
        "opportunities:win": Target(
            reverse("opportunities:win", args=[deal]),
            "fs_a",
            names(WinForm()),
            {"amount": "1000000", "contract_on": TODAY.isoformat(), "cs_owner": w["cs"].pk},
        ),
        "opportunities:send_back": Target(
            reverse("opportunities:send_back", args=[deal]),
            "fs_a",
            names(SendBackForm()),
            {"reason": "停滞", "recycle_reason": timing, "approach_on": day},
        ),
        "opportunities:log": Target(
            reverse("opportunities:log", args=[deal]),
            "fs_a",
            names(DealActivityForm()),
            {"kind": "call", "direction": "outbound", "connected": "1"},
        ),
        "opportunities:create": Target(
            reverse("opportunities:create"),
            "fs_a",
            names(SglForm()),
            {"company_name": "株式会社SGL", "name": "新規", "next_action_on": day},
        ),
        "opportunities:cs_detail": Target(
            reverse("opportunities:cs_detail", args=[w["account"].pk]),
            "cs",
            names(CSAccountForm()),
            {"health": "green", "renewal_on": (TODAY + timedelta(days=400)).isoformat()},
        ),
        "opportunities:cs_expand": Target(
            reverse("opportunities:cs_expand", args=[w["account"].pk]),
            "cs",
            names(ExpansionDealForm()),
            {"owner": w["fs_a"].pk, "name": "追加", "next_action_on": day},
        ),
        "dashboards:planner": Target(
            reverse("dashboards:planner"),
            "admin",
            [*names(KpiPlanForm()), "action"],
            {
                "month": "2026-12",
                "revenue_budget": "10000000",
                "deal_size": "1000000",
                "win_rate": "50",
                "meeting_rate": "25",
                "opportunity_rate": "10",
                "lead_rate": "5",
                "action": "save",
            },
        ),
        "profile": Target(reverse("profile"), "admin", ["name"], {"name": "ツール"}),
        "token_revoke": Target(reverse("token_revoke", args=[w["token"].pk]), "admin", []),
        "login": Target(reverse("login"), "", ["username", "password"], {"username": "admin", "password": PASSWORD}),
        "logout": Target(reverse("logout"), "admin", []),
        "set_language": Target(reverse("set_language"), "admin", ["language", "next"], {"language": "ja", "next": "/"}),
        "password_change": Target(
            reverse("password_change"),
            "admin",
            ["old_password", "new_password1", "new_password2"],
            {"old_password": PASSWORD, "new_password1": "Kakehashi-2026-new", "new_password2": "Kakehashi-2026-new"},
        ),
        "leads:delete": Target(reverse("leads:delete", args=[lead]), "admin", []),
        "leads:company_delete": Target(reverse("leads:company_delete", args=[w["lead"].company_id]), "admin", []),
        "opportunities:delete": Target(reverse("opportunities:delete", args=[deal]), "admin", []),
        "leads:trash_restore": Target(reverse("leads:trash_restore", args=["lead", lead]), "admin", []),
    }


def table_state() -> tuple:
    """Row counts and latest updates of every table of the project's apps, in one query."""
    from django.apps import apps

    parts = []
    for label in ("org", "leads", "activities", "handoffs", "opportunities", "dashboards"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.label == "org.LoginThrottle":
                continue  # a refused login or password check is counted towards the lockout, by design
            table = connection.ops.quote_name(model._meta.db_table)
            parts.append(f"(SELECT COUNT(*) FROM {table})")
            if any(f.name == "updated_at" for f in model._meta.concrete_fields):
                parts.append(f"(SELECT CAST(MAX(updated_at) AS TEXT) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return cursor.fetchone()


def payload(target: Target, data: dict) -> dict:
    body = {}
    for name, value in data.items():
        if name in target.files:
            text = value if isinstance(value, str) else str(value)
            body[name] = SimpleUploadedFile(f"{text[:50]}.csv", text.encode("utf-8", "surrogatepass"))
        else:
            body[name] = value
    return body


def post(client: Client, target: Target, data: dict):
    """Posts inside a savepoint; returns the answer, the page a success leads to, and whether tables changed."""
    with transaction.atomic():
        before = table_state()
        response = client.post(target.url, payload(target, data))
        changed = table_state() != before
        landing = None
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            landing = client.get(response["Location"])
        transaction.set_rollback(True)
    return response, landing, changed


def assert_safe(response, landing, changed, what):
    assert response.status_code < 500, what
    for answer in (response, landing):
        if answer is not None:
            content = b"".join(answer) if answer.streaming else answer.content
            for raw in RAW_MARKUP:
                assert raw not in content, f"{what}: unescaped {raw!r}"
    if 400 <= response.status_code < 500:
        assert not changed, f"{what}: refused ({response.status_code}) but tables changed"
    if response.status_code == 400 and b"Bad Request (400)" not in response.content:
        # Django's own 400 (e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE) is fine; a form's must say why.
        assert any(marker in response.content for marker in ERROR_MARKERS), f"{what}: 400 without an error shown"


def client_for(w, user: str) -> Client:
    client = Client()
    if user:
        client.force_login(w[user])
    return client


# Forms whose fields are a flag or a choice: any text is just "not 1" or the default.
WITHOUT_TEXT = {"leads:rep_shift", "set_language"}

ALL_FORMS = [
    "leads:log",
    "leads:recycle",
    "leads:bant",
    "leads:nurture",
    "leads:disqualify",
    "leads:handoff",
    "leads:checkpoint",
    "leads:mql_review",
    "leads:rep_shift",
    "leads:imports",
    "leads:import_columns",
    "leads:import_file",
    "leads:import_run",
    "leads:email_request_new",
    "leads:email_request_action:accept",
    "leads:email_request_action:schedule",
    "leads:email_request_action:sent",
    "leads:email_request_action:decline",
    "handoffs:accept",
    "handoffs:reject",
    "handoffs:feedback",
    "opportunities:update",
    "opportunities:lose",
    "opportunities:win",
    "opportunities:send_back",
    "opportunities:log",
    "opportunities:create",
    "opportunities:cs_detail",
    "opportunities:cs_expand",
    "dashboards:planner",
    "profile",
    "token_revoke",
    "login",
    "logout",
    "set_language",
    "password_change",
    "leads:delete",
    "leads:company_delete",
    "opportunities:delete",
    "leads:trash_restore",
]


@pytest.mark.parametrize("form_name", ALL_FORMS)
def test_hostile_input_to_every_form(site, form_name):
    target = targets(site)[form_name]
    client = client_for(site, target.user)
    # The valid submission first: it must be accepted, or the per-field cases test nothing.
    response, landing, _changed = post(client, target, target.valid)
    assert_safe(response, landing, False, f"{form_name} valid")
    for kind, value in HOSTILE.items():
        if target.fields:
            response, landing, changed = post(client, target, dict.fromkeys(target.fields, value))
            assert_safe(response, landing, changed, f"{form_name} every field {kind}")
            if kind != "combined" and form_name not in WITHOUT_TEXT:
                # NUL and 100,000 characters are refused by some field of any form that takes text.
                assert not changed, f"{form_name} every field {kind}: stored"
        for name in target.fields:
            if kind != "combined" and name not in target.files:
                continue  # NUL and size are refused by the field types; every field at once covers them
            response, landing, changed = post(client, target, {**target.valid, name: value})
            assert_safe(response, landing, changed, f"{form_name} {name}={kind}")


def url_patterns(resolvers=None, prefix=""):
    for pattern in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def test_every_post_view_is_fuzzed(site):
    """Every page URL is posted to empty: whatever does not answer 405 takes a POST and must be listed."""
    fuzzed = {target.url.split("?")[0] for target in targets(site).values()}
    client = client_for(site, "admin")
    ids = {
        "pk": site["lead"].pk,
        "checkpoint_pk": site["checkpoint"].pk,
        "action": "accept",
        "key": "funnel",
        "kind": "lead",
    }
    missing = []
    for route, pattern in url_patterns():
        if route.startswith(("admin/", "api/")) or "(?P" in route:
            continue
        url = "/" + route
        for name in pattern.pattern.converters:
            url = url.replace(f"<int:{name}>", str(ids[name])).replace(f"<slug:{name}>", str(ids[name]))
        client.force_login(site["admin"])  # the logout URL is one of them
        with transaction.atomic():
            status = client.post(url, {}).status_code
            transaction.set_rollback(True)
        if status != 405 and not any(url == f or _same_route(url, f) for f in fuzzed):
            missing.append((route, status))
    assert missing == []


def _same_route(url: str, fuzzed: str) -> bool:
    """The same route with other ids: /leads/7/log/ and /leads/9/log/."""
    a, b = url.strip("/").split("/"), fuzzed.strip("/").split("/")
    return len(a) == len(b) and all(x == y or (x.isdigit() and y.isdigit()) for x, y in zip(a, b, strict=True))


# Query-string forms: filters, periods and pages, as the address bar lets anyone type them. Dates at the ends
# of the calendar too: a period computed from them must not overflow.
QUERY_FORMS = {
    "leads:queue": ("admin", ["source", "campaign", "status", "temperature", "scope", "page"]),
    "opportunities:list": ("admin", ["phase", "status", "origin", "service", "segment", "overdue", "stagnant", "page"]),
    "handoffs:inbox": ("fs_a", ["status", "page"]),
    "handoffs:my_sqls": ("rep", ["page"]),
    "opportunities:cs_list": ("cs", ["page"]),
    "leads:email_requests": ("marketer", ["status", "page"]),
    "leads:mql_quality": ("admin", ["since", "until", "csv"]),
    "dashboards:funnel": ("admin", ["grain", "period", "team", "csv"]),
    "dashboards:records": ("admin", ["metric", "since", "until", "dimension", "value", "page"]),
    "dashboards:planner": ("admin", ["month"]),
    "dashboards:alerts": ("admin", ["status", "kind", "page"]),
}
QUERY_VALUES = [COMBINED, NUL, "x" * 5000, "0001-01-01", "9999-12-31", "-1", "99999999999999999999"]
API_FILTERS = {
    "/api/v1/opportunities/": ["phase", "service", "segment", "status", "stagnant", "updated_since", "cursor"],
    "/api/v1/leads/": ["status", "updated_since", "cursor"],
    "/api/v1/handoffs/": ["status", "kind", "mine", "updated_since"],
    "/api/v1/activities/": ["kind", "lead", "opportunity", "updated_since"],
    "/api/v1/metrics/": ["grain", "since", "until", "dimension"],
}


def test_hostile_query_strings(site):
    for url_name, (user, params) in QUERY_FORMS.items():
        client = client_for(site, user)
        for param in params:
            for value in QUERY_VALUES:
                response = client.get(reverse(url_name), {param: value})
                assert_safe(response, None, False, f"{url_name}?{param}={value[:20]!r}")
    _token, key = api_token_create(user=site["admin"], name="fuzz")
    api = Client(headers={"Authorization": f"Token {key}"})
    for url, params in API_FILTERS.items():
        for param in params:
            for value in QUERY_VALUES:
                response = api.get(url, {param: value})
                assert response.status_code < 500, f"{url}?{param}={value[:20]!r}"
