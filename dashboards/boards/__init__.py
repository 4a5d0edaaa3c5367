"""The dashboards, in the order of the navigation. Each module builds one board's panels from the summary
tables; ``base`` holds what they share."""

from django.utils.translation import gettext_lazy as _

from ..models import Grain
from . import activity, allocation, assets, deals, funnel, marketing, reps, sql_mix
from .base import Board

BOARDS: dict[str, Board] = {
    board.key: board
    for board in [
        Board(
            "funnel",
            _("Funnel"),
            _("The whole funnel for the period against the previous period and the plan."),
            funnel.build,
        ),
        Board(
            "assets",
            _("Assets ahead"),
            _("Leads scheduled for the coming days, weeks and months against the team's target."),
            assets.build,
            grains=(Grain.DAY,),
            default_grain=Grain.DAY,
            uses_team=True,
            uses_period=False,
        ),
        Board(
            "activity",
            _("Activity"),
            _("Calls and mails, connects, effective conversations and companies touched, per team and rep."),
            activity.build,
            default_grain=Grain.DAY,
            uses_team=True,
        ),
        Board(
            "sql-mix",
            _("SQL mix"),
            _("What the SQLs are made of: service, size, area, deal size, counterpart, temperature, origin."),
            sql_mix.build,
        ),
        Board(
            "reps",
            _("Reps"),
            _("The IS leaderboard and what drives appointments in this team."),
            reps.build,
            uses_team=True,
        ),
        Board(
            "allocation",
            _("FS allocation"),
            _("SQLs per FS rep this month against capacity, and how evenly they are spread."),
            allocation.build,
            grains=(Grain.MONTH,),
        ),
        Board(
            "deals",
            _("Opportunities and wins"),
            _("SQL → valid opportunity, the phase mix and stagnant deals, wins by industry and source."),
            deals.build,
        ),
        Board(
            "marketing",
            _("For Marketing"),
            _("Recycle reasons, revival, inbound CVR by campaign × rep and lead-source quality."),
            marketing.build,
            grains=(Grain.MONTH,),
        ),
    ]
}
