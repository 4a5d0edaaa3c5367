"""Nurturing checkpoints: the steps the data migration sets up per source, marking them, and the lead page's
suggested next step."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from leads.models import LeadCheckpoint, NurturingCheckpoint
from leads.selectors import lead_nurturing_steps, suggested_step
from leads.services import lead_checkpoint_mark, lead_checkpoint_unmark
from tests.helpers import field_codes
from tests.leads.factories import LeadFactory, lead_in_status, source
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def steps_of(code: str) -> list[tuple[int, str, str, str]]:
    return list(
        NurturingCheckpoint.objects.filter(source__code=code).values_list("position", "title_ja", "title_en", "send")
    )


def test_the_data_migration_sets_up_the_steps_the_seeds_name_per_source():
    assert steps_of("trade_show") == [
        (1, "現状のヒアリング", "Hear the current situation", ""),
        (2, "小冊子の案内", "Offer the booklet", "booklet"),
    ]
    assert steps_of("seminar") == [
        (1, "キャンペーンの案内", "Present the campaign", "campaign"),
        (2, "サービス資料の案内", "Offer the service materials", "materials"),
    ]
    assert steps_of("trial") == [(1, "打ち合わせの打診", "Propose a meeting", "meeting_proposal")]
    assert steps_of("house_list") == []


@pytest.fixture
def trade_show_lead(is_rep):
    return LeadFactory(owner=is_rep, source=source("trade_show"))


def checkpoint(code: str, position: int) -> NurturingCheckpoint:
    return NurturingCheckpoint.objects.get(source__code=code, position=position)


# --- services ----------------------------------------------------------------------------------------------


def test_the_suggested_step_is_the_first_not_yet_marked(trade_show_lead, is_rep):
    before = suggested_step(lead_nurturing_steps(lead=trade_show_lead))
    lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep)
    middle = suggested_step(lead_nurturing_steps(lead=trade_show_lead))
    lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 2), actor=is_rep, outcome="skipped")
    after = suggested_step(lead_nurturing_steps(lead=trade_show_lead))

    assert before.checkpoint == checkpoint("trade_show", 1)
    assert middle.checkpoint == checkpoint("trade_show", 2)
    assert after is None
    assert list(LeadCheckpoint.objects.values_list("checkpoint__position", "outcome", "marked_by")) == [
        (1, "done", is_rep.pk),
        (2, "skipped", is_rep.pk),
    ]


def test_a_step_marked_out_of_order_leaves_the_earlier_one_suggested(trade_show_lead, is_rep):
    lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 2), actor=is_rep)

    assert suggested_step(lead_nurturing_steps(lead=trade_show_lead)).checkpoint == checkpoint("trade_show", 1)


def test_marking_twice_keeps_the_first_mark(trade_show_lead, is_rep, manager):
    first = lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep)
    again = lead_checkpoint_mark(
        lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=manager, outcome="skipped"
    )

    assert again.pk == first.pk
    assert (again.outcome, again.marked_by) == ("done", is_rep)
    assert LeadCheckpoint.objects.count() == 1


def test_a_retired_step_is_no_longer_suggested_nor_markable(trade_show_lead, is_rep):
    NurturingCheckpoint.objects.filter(pk=checkpoint("trade_show", 1).pk).update(is_active=False)

    with pytest.raises(ValidationError) as error:
        lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep)

    assert field_codes(error.value) == {"checkpoint": ["checkpoint_inactive"]}
    assert suggested_step(lead_nurturing_steps(lead=trade_show_lead)).checkpoint == checkpoint("trade_show", 2)


def test_a_step_of_another_source_is_refused(trade_show_lead, is_rep):
    with pytest.raises(ValidationError) as error:
        lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("seminar", 1), actor=is_rep)

    assert field_codes(error.value) == {"checkpoint": ["checkpoint_other_source"]}
    assert LeadCheckpoint.objects.count() == 0


def test_an_unknown_outcome_is_refused(trade_show_lead, is_rep):
    with pytest.raises(ValidationError) as error:
        lead_checkpoint_mark(
            lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep, outcome="maybe"
        )

    assert field_codes(error.value) == {"outcome": ["invalid"]}


@pytest.mark.parametrize("status", ["qualified", "disqualified"])
def test_a_closed_lead_is_not_nurtured(is_rep, status):
    lead = lead_in_status(status, owner=is_rep, source=source("trial"))

    with pytest.raises(ValidationError) as error:
        lead_checkpoint_mark(lead=lead, checkpoint=checkpoint("trial", 1), actor=is_rep)

    assert error.value.code == "lead_closed"


def test_unmarking_brings_the_step_back_and_is_idempotent(trade_show_lead, is_rep):
    lead_checkpoint_mark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep)

    lead_checkpoint_unmark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep)
    lead_checkpoint_unmark(lead=trade_show_lead, checkpoint=checkpoint("trade_show", 1), actor=is_rep)

    assert LeadCheckpoint.objects.count() == 0
    assert suggested_step(lead_nurturing_steps(lead=trade_show_lead)).checkpoint == checkpoint("trade_show", 1)


# --- the lead page -----------------------------------------------------------------------------------------


def test_the_lead_page_shows_the_suggested_step_in_the_side_column(client, trade_show_lead, is_rep):
    client.force_login(is_rep)

    response = client.get(reverse("leads:detail", args=[trade_show_lead.pk]), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert response.context["suggested_step"].checkpoint == checkpoint("trade_show", 1)
    assert f'data-testid="suggested-step" data-step="{checkpoint("trade_show", 1).pk}"' in content
    assert content.count('data-testid="step"') == 2
    assert 'data-testid="checkpoint-form"' in content


def test_marking_the_step_done_in_place_suggests_the_next_one(client, trade_show_lead, is_rep):
    client.force_login(is_rep)
    url = reverse("leads:checkpoint", args=[trade_show_lead.pk, checkpoint("trade_show", 1).pk])

    response = client.post(url, {"outcome": "done"}, **HX)

    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="lead-page"' in response.content
    assert response.context["suggested_step"].checkpoint == checkpoint("trade_show", 2)
    assert response.content.count(b'data-testid="step-mark"') == 1
    assert LeadCheckpoint.objects.get().outcome == "done"


def test_ctrl_enter_without_a_button_marks_done_and_undo_takes_it_back(client, trade_show_lead, is_rep):
    client.force_login(is_rep)
    url = reverse("leads:checkpoint", args=[trade_show_lead.pk, checkpoint("trade_show", 1).pk])

    client.post(url, {}, **HX)
    marked = LeadCheckpoint.objects.count()
    undone = client.post(url, {"outcome": "undo"}, **HX)

    assert marked == 1
    assert undone.status_code == 200
    assert LeadCheckpoint.objects.count() == 0


def test_without_htmx_marking_redirects_to_the_lead(client, trade_show_lead, is_rep):
    client.force_login(is_rep)
    url = reverse("leads:checkpoint", args=[trade_show_lead.pk, checkpoint("trade_show", 1).pk])

    response = client.post(url, {"outcome": "skipped"})

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:detail", args=[trade_show_lead.pk])


def test_a_step_of_another_source_answers_with_the_error_and_saves_nothing(client, trade_show_lead, is_rep):
    client.force_login(is_rep)
    url = reverse("leads:checkpoint", args=[trade_show_lead.pk, checkpoint("seminar", 1).pk])

    response = client.post(url, {"outcome": "done"}, **HX)

    assert response.status_code == 200
    assert "This step belongs to another lead source." in response.content.decode()
    assert LeadCheckpoint.objects.count() == 0


def test_a_source_without_steps_says_so(client, is_rep):
    lead = LeadFactory(owner=is_rep, source=source("house_list"))
    client.force_login(is_rep)

    response = client.get(reverse("leads:detail", args=[lead.pk]))

    assert response.context["suggested_step"] is None
    assert b'data-testid="no-checkpoints"' in response.content


@pytest.mark.parametrize(("who", "status"), [("marketer", 403), ("other_rep", 404)])
def test_only_those_who_work_the_lead_mark_steps(client, trade_show_lead, request, who, status):
    user = request.getfixturevalue("marketer") if who == "marketer" else UserFactory()
    client.force_login(user)
    url = reverse("leads:checkpoint", args=[trade_show_lead.pk, checkpoint("trade_show", 1).pk])

    response = client.post(url, {"outcome": "done"}, **HX)

    assert response.status_code == status
    assert LeadCheckpoint.objects.count() == 0


def test_a_manager_marks_a_step_of_a_lead_of_their_team(client, trade_show_lead, manager):
    client.force_login(manager)
    url = reverse("leads:checkpoint", args=[trade_show_lead.pk, checkpoint("trade_show", 1).pk])

    response = client.post(url, {"outcome": "done"}, **HX)

    assert response.status_code == 200
    assert LeadCheckpoint.objects.get().marked_by == manager


def test_marketing_reads_the_suggested_step_without_the_buttons(client, trade_show_lead, marketer):
    client.force_login(marketer)

    response = client.get(reverse("leads:detail", args=[trade_show_lead.pk]))

    assert response.context["suggested_step"].checkpoint == checkpoint("trade_show", 1)
    assert b'data-testid="checkpoint-form"' not in response.content
    assert b'data-testid="steps-complete"' not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/admin/leads/nurturingcheckpoint/",
        "/admin/leads/nurturingcheckpoint/add/",
        "/admin/leads/leadcheckpoint/",
        "/admin/leads/mqlrejectreason/",
        "/admin/leads/mqlreview/",
        "/admin/leads/campaignemailrequest/",
        "/admin/leads/leadsource/{trade_show}/change/",
    ],
)
def test_the_admin_pages_open(client, path):
    client.force_login(UserFactory(admin=True, is_superuser=True))

    response = client.get(path.format(trade_show=source("trade_show").pk))

    assert response.status_code == 200
