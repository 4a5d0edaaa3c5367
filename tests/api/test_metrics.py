"""GET /api/v1/metrics/: the catalogue and a metric's figures, the numbers the dashboards read."""

from datetime import date

import pytest

from dashboards.services import metrics_rebuild
from tests.api.conftest import token_client
from tests.worlds import sql

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(w):
    """Two SQLs from the rep on Friday 2026-11-20 (frozen), one to each FS rep, rolled up."""
    sql(w, to="fs_a", name="山田")
    sql(w, to="fs_b", name="田中")
    metrics_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 30))
    return w


def test_the_catalogue_lists_every_metric_with_its_kind_grains_and_dimensions(w):
    response = token_client(w["is_manager"]).get("/api/v1/metrics/")

    assert response.status_code == 200
    by_code = {metric["code"]: metric for metric in response.json()}
    assert by_code["connect_rate"] == {
        "code": "connect_rate",
        "label": "Connect rate",
        "help": "Connected calls ÷ calls.",
        "kind": "ratio",
        "additive": True,
        "grains": ["day", "week", "month"],
        "dimensions": ["rep", "team", "direction", "team|direction"],
        "numerator": "connects",
        "denominator": "calls",
    }
    assert by_code["stagnant_deals"]["kind"] == "snapshot"
    assert by_code["stagnant_deals"]["grains"] == ["day"]
    assert by_code["companies_touched"]["additive"] is False


def test_a_metric_by_fs_rep_for_a_month_with_labels(figures):
    w = figures
    response = token_client(w["is_manager"]).get(
        "/api/v1/metrics/sqls/", {"grain": "month", "since": "2026-11-01", "until": "2026-11-30", "dimension": "fs_rep"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["grain"], body["since"], body["until"], body["dimension"]) == (
        "month",
        "2026-11-01",
        "2026-11-01",
        "fs_rep",
    )
    assert body["figures"] == [
        {
            "period_start": "2026-11-01",
            "dim_value": str(rep.pk),
            "label": label,
            "numerator": 1,
            "denominator": None,
            "value": 1,
        }
        for rep, label in sorted([(w["fs_a"], "鈴木"), (w["fs_b"], "高橋")], key=lambda pair: str(pair[0].pk))
    ]


def test_a_ratio_brings_numerator_denominator_and_value(figures):
    response = token_client(figures["admin"]).get(
        "/api/v1/metrics/actions_per_sql/", {"grain": "week", "until": "2026-11-20"}
    )

    assert response.status_code == 200
    assert response.json()["figures"] == [
        {"period_start": "2026-11-16", "dim_value": "", "label": "", "numerator": 0, "denominator": 2, "value": 0.0}
    ]


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"grain": "year"}, "grain", "invalid_choice"),
        ({"since": "2026-11-31"}, "since", "invalid"),
        ({"since": "2026-11-20", "until": "2026-11-01", "grain": "day"}, "since", "invalid_range"),
        ({"since": "2026-01-01", "until": "2026-11-30", "grain": "day"}, "since", "range_too_long"),
        ({"dimension": "colour"}, "dimension", "invalid_choice"),
        ({"page": "2"}, "page", "not_writable"),
    ],
)
def test_a_bad_query_says_which_parameter_is_wrong(w, query, field, code):
    response = token_client(w["is_manager"]).get("/api/v1/metrics/sqls/", query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert [error["code"] for error in response.json()["field_errors"][field]] == [code]


def test_a_snapshot_is_kept_by_day_only(w):
    response = token_client(w["is_manager"]).get("/api/v1/metrics/stagnant_deals/", {"grain": "month"})

    assert response.status_code == 400
    assert response.json()["field_errors"]["grain"][0]["message"] == "stagnant_deals is kept by day only."


def test_an_unknown_metric_is_a_404(w):
    response = token_client(w["is_manager"]).get("/api/v1/metrics/happiness/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", ["rep", "fs_a", "cs"])
def test_reps_read_their_figures_on_the_pages_not_the_companys_here(w, role):
    response = token_client(w[role]).get("/api/v1/metrics/")

    assert response.status_code == 403
    assert response.json()["message"] == "Metrics are for managers, Marketing and administrators."
