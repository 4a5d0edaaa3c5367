"""Fair inbound distribution: new inbound leads go to the IS reps on shift, in turn (round robin), by the
first distribution rule that matches their source and company size.

The turn is kept in a ``DistributionCursor`` row per pool (a team, or a rule that names its reps). Every
assignment locks the lead, then that row, for the rest of its transaction: two imports or webhooks at once
take turns, so no lead gets two owners and no rep on shift is skipped or given two leads in a row."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from org.history import records_actor
from org.models import Team, User

from .models import DistributionCursor, DistributionRule, Lead, Origin
from .services import lead_assign


def distribution_rule_for(*, lead: Lead) -> DistributionRule | None:
    """The first active rule, in order, whose source and size band (each empty = any) fit the lead."""
    return (
        DistributionRule.objects.filter(is_active=True)
        .filter(Q(source__isnull=True) | Q(source_id=lead.source_id))
        .filter(Q(size_band="") | Q(size_band=lead.company.size_band or "-"))
        .select_related("team")
        .order_by("sort_order", "id")
        .first()
    )


def _default_team(lead: Lead) -> Team | None:
    if lead.team is not None and lead.team.is_inside_sales:
        return lead.team
    return Team.objects.filter(kind=Team.Kind.SDR).order_by("name", "id").first()


def _locked_cursor(pool: str) -> DistributionCursor:
    DistributionCursor.objects.get_or_create(pool=pool)
    return DistributionCursor.objects.select_for_update().get(pool=pool)


def next_in_turn(rep_ids: list[int], last_rep_id: int | None) -> int:
    """The rep after ``last_rep_id`` in id order, wrapping around. Reps who came on shift take their turn
    when the rotation reaches them; one who left is simply passed over."""
    if last_rep_id is not None:
        for pk in rep_ids:
            if pk > last_rep_id:
                return pk
    return rep_ids[0]


@records_actor
@transaction.atomic
def lead_distribute(*, lead: Lead, actor: User | None = None) -> Lead:
    """Gives an open, unowned inbound lead to the next IS rep on shift of its pool, or leaves it in the
    team's pool when nobody is on shift. Idempotent: a lead that has an owner keeps it."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("company", "team").get(pk=lead.pk)
    if lead.owner_id is not None or lead.origin != Origin.INBOUND or not lead.is_open:
        return lead
    rule = distribution_rule_for(lead=lead)
    team = rule.team if rule is not None else _default_team(lead)
    if team is None:
        return lead
    on_shift = User.objects.filter(is_active=True, role=User.Role.IS, on_shift=True)
    named = rule is not None and rule.reps.exists()
    reps = on_shift.filter(pk__in=rule.reps.values("pk")) if named else on_shift.filter(team=team)
    cursor = _locked_cursor(f"rule:{rule.pk}" if named else f"team:{team.pk}")
    rep_ids = list(reps.order_by("pk").values_list("pk", flat=True))
    if not rep_ids:
        if lead.team_id != team.pk:
            lead.team = team
            lead.save(update_fields=["team", "updated_at"])
        return lead
    rep = User.objects.select_related("team").get(pk=next_in_turn(rep_ids, cursor.last_rep_id))
    cursor.last_rep, cursor.assigned = rep, cursor.assigned + 1
    cursor.save(update_fields=["last_rep", "assigned", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Inbound distribution: %(rule)s") % {"rule": rule.name if rule is not None else _("round robin")}
    return lead_assign(lead=lead, owner=rep, actor=actor, note=note)


def distribution_plan(*, leads: list[tuple[int, str, str]], team: Team | None) -> list[tuple[int | None, int | None]]:
    """Owners for a batch of new leads, given (source id, company size band, origin) each, as
    ``lead_distribute`` would pick them one by one: (owner id, team id) in the order given. Outbound leads
    and pools with nobody on shift stay unowned in their team. Locks and moves the cursors of the pools it
    uses; the caller writes the leads in the same transaction."""
    rules = list(
        DistributionRule.objects.filter(is_active=True)
        .select_related("team")
        .prefetch_related("reps")
        # the rules' reps, in id order, as lead_distribute reads them
        .order_by("sort_order", "id")
    )
    default_team = team if team is not None and team.is_inside_sales else None
    if default_team is None:
        default_team = Team.objects.filter(kind=Team.Kind.SDR).order_by("name", "id").first()
    on_shift = User.objects.filter(is_active=True, role=User.Role.IS, on_shift=True)
    pools: dict[str, dict] = {}
    teams_of: dict[int, int | None] = {}
    pool_of: dict[tuple[int, str], tuple[str | None, Team | None]] = {}
    plan = []
    for source_id, size_band, origin in leads:
        if origin != Origin.INBOUND:
            plan.append((None, team.pk if team is not None else None))
            continue
        key = (source_id, size_band)
        if key not in pool_of:
            rule = next(
                (r for r in rules if r.source_id in (None, source_id) and r.size_band in ("", size_band or "-")),
                None,
            )
            pool_team = rule.team if rule is not None else default_team
            named = rule is not None and bool(rule.reps.all())
            if pool_team is None:
                pool_of[key] = (None, None)
            else:
                pool = f"rule:{rule.pk}" if named else f"team:{pool_team.pk}"
                if pool not in pools:
                    reps = (
                        on_shift.filter(pk__in=[r.pk for r in rule.reps.all()])
                        if named
                        else on_shift.filter(team=pool_team)
                    )
                    rep_rows = list(reps.order_by("pk").values_list("pk", "team_id"))
                    teams_of.update(rep_rows)
                    pools[pool] = {"cursor": _locked_cursor(pool), "reps": [pk for pk, _team in rep_rows], "n": 0}
                    pools[pool]["last"] = pools[pool]["cursor"].last_rep_id
                pool_of[key] = (pool, pool_team)
        pool, pool_team = pool_of[key]
        if pool is None:
            plan.append((None, team.pk if team is not None else None))
            continue
        state = pools[pool]
        if not state["reps"]:
            plan.append((None, pool_team.pk))
            continue
        rep = next_in_turn(state["reps"], state["last"])
        state["last"], state["n"] = rep, state["n"] + 1
        plan.append((rep, teams_of[rep] or pool_team.pk))
    for state in pools.values():
        if state["n"]:
            cursor = state["cursor"]
            cursor.last_rep_id, cursor.assigned = state["last"], cursor.assigned + state["n"]
            cursor.save(update_fields=["last_rep", "assigned", "updated_at"])
    return plan
