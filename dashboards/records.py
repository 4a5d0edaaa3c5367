"""How the records behind a figure are listed: per fact model, its columns and the page each row opens."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from activities.models import Activity
from handoffs.models import Handoff
from leads.models import Lead, LeadRecycle, TouchPoint
from opportunities.models import Opportunity, PhaseHistory


def _when(value) -> str:
    if value is None:
        return "—"
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
        return formats.date_format(value, "Y-m-d H:i")
    return formats.date_format(value, "Y-m-d")


def _yen(value) -> str:
    return "—" if value is None else f"¥{value:,}"


def _lead(lead) -> str:
    return f"{lead.full_name} ({lead.company.name})" if lead else "—"


@dataclass(frozen=True)
class Listing:
    related: tuple[str, ...]
    columns: tuple[Any, ...]
    cells: Callable[[Any], list[str]]
    url: Callable[[Any], str]


LISTINGS: dict[type, Listing] = {
    Activity: Listing(
        ("actor", "lead__company", "company", "outcome"),
        (_("When"), _("Kind"), _("Direction"), _("Rep"), _("Lead"), _("Connected"), _("Outcome")),
        lambda a: [
            _when(a.occurred_at),
            a.get_kind_display(),
            a.get_direction_display(),
            str(a.actor),
            _lead(a.lead) if a.lead_id else a.company.name,
            "—" if a.connected is None else (_("yes") if a.connected else _("no")),
            str(a.outcome or "—"),
        ],
        lambda a: reverse("leads:detail", args=[a.lead_id]) if a.lead_id else "",
    ),
    Lead: Listing(
        ("company", "owner", "source"),
        (_("Lead"), _("Owner"), _("Source"), _("Status"), _("Next approach"), _("Created")),
        lambda lead: [
            _lead(lead),
            str(lead.owner or "—"),
            str(lead.source),
            lead.get_status_display(),
            _when(lead.next_approach_on),
            _when(lead.created_at),
        ],
        lambda lead: reverse("leads:detail", args=[lead.pk]),
    ),
    Handoff: Listing(
        ("lead__company", "from_user", "to_user", "opportunity"),
        (
            _("Handed off"),
            _("Lead"),
            _("From"),
            _("To"),
            _("Status"),
            _("Temperature"),
            _("Deal amount"),
            _("SQL feedback"),
        ),
        lambda h: [
            _when(h.created_at),
            _lead(h.lead),
            str(h.from_user),
            str(h.to_user or h.to_team or "—"),
            h.get_status_display(),
            h.get_temperature_display() or "—",
            _yen(h.opportunity.amount if h.opportunity_id else None),
            h.get_feedback_display() or "—",
        ],
        lambda h: reverse("handoffs:detail", args=[h.pk]),
    ),
    Opportunity: Listing(
        ("company", "owner", "phase"),
        (_("Deal"), _("Company"), _("Owner"), _("Phase"), _("Status"), _("Amount"), _("Closed")),
        lambda o: [
            o.name,
            o.company.name,
            str(o.owner),
            str(o.phase),
            o.get_status_display(),
            _yen(o.amount),
            _when(o.closed_at),
        ],
        lambda o: reverse("opportunities:detail", args=[o.pk]),
    ),
    PhaseHistory: Listing(
        ("opportunity__company", "from_phase", "to_phase", "actor"),
        (_("When"), _("Deal"), _("Company"), _("From phase"), _("To phase"), _("By")),
        lambda p: [
            _when(p.at),
            p.opportunity.name,
            p.opportunity.company.name,
            str(p.from_phase or "—"),
            str(p.to_phase),
            str(p.actor or "—"),
        ],
        lambda p: reverse("opportunities:detail", args=[p.opportunity_id]),
    ),
    LeadRecycle: Listing(
        ("lead__company", "reason", "created_by"),
        (_("Recycled"), _("Lead"), _("Reason"), _("Approach again on"), _("By")),
        lambda r: [_when(r.created_at), _lead(r.lead), str(r.reason), _when(r.approach_on), str(r.created_by)],
        lambda r: reverse("leads:detail", args=[r.lead_id]),
    ),
    TouchPoint: Listing(
        ("lead__company",),
        (_("When"), _("Kind"), _("Lead"), _("URL")),
        lambda t: [_when(t.occurred_at), t.get_kind_display(), _lead(t.lead), t.url or "—"],
        lambda t: reverse("leads:detail", args=[t.lead_id]),
    ),
}


def record_rows(rows: QuerySet) -> QuerySet:
    """The rows with what their listing shows fetched along (a fixed number of queries per page)."""
    return rows.select_related(*LISTINGS[rows.model].related)


@dataclass(frozen=True)
class RecordTable:
    columns: tuple[Any, ...]
    rows: list[tuple[list[str], str]]


def record_table(objects: Iterable, model: type) -> RecordTable:
    listing = LISTINGS[model]
    return RecordTable(listing.columns, [(listing.cells(obj), listing.url(obj)) for obj in objects])
