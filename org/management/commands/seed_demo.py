from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from dashboards.services import alerts_evaluate, asset_target_set, metrics_rebuild, metrics_reset
from dashboards.signals import marks_paused
from org.demo import DAYS_OF_HISTORY, DemoBuilder, demo_exists, demo_reset
from org.models import Team

# Assets are counted for the days ahead the demo schedules leads on (recycles up to 150 days).
ASSET_DAYS_AHEAD = 160
# The demo's asset target per IS rep and working day (the Recycle team's short of it raises an alert).
ASSETS_PER_REP_DAY = 15


class Command(BaseCommand):
    help = (
        "Loads the demo company: teams, users, ~3,000 companies, ~4,500 leads, 90 days of calls and mails, "
        "SQLs, deals and CS accounts. Does nothing if the demo is already there, unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="Random seed; the same seed builds the same data.")
        parser.add_argument("--reset", action="store_true", help="Delete the demo and pipeline data first.")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiplier for the number of companies, leads and activities (e.g. 0.02 for tests).",
        )

    def handle(self, *args, seed: int, reset: bool, scale: float, **options):
        if not 0 < scale <= 10:
            raise CommandError("--scale must be more than 0 and at most 10.")
        if demo_exists() and not reset:
            self.stdout.write(
                "The demo data is already loaded (user 'admin' or 'is01' exists); nothing changed. "
                "Use --reset to rebuild it."
            )
            return
        # Loaded in bulk, then the metrics are rebuilt once instead of marking days row by row.
        with marks_paused():
            if reset:
                self.stdout.write("Deleting the pipeline data, the demo users and the teams...")
                demo_reset()
                metrics_reset()
            self.stdout.write(f"Building the demo company (seed {seed}, scale {scale:g})...")
            result = DemoBuilder(seed=seed, scale=scale, log=self.stdout.write).build()
        for team in Team.objects.filter(kind__in=Team.IS_KINDS).annotate(size=Count("members")):
            asset_target_set(team=team, daily=team.size * ASSETS_PER_REP_DAY, weekly=team.size * ASSETS_PER_REP_DAY * 5)
        today = timezone.localdate()
        self.stdout.write("Computing the metrics and alerts...")
        metrics_rebuild(
            first_day=today - timedelta(days=DAYS_OF_HISTORY + 30), last_day=today + timedelta(days=ASSET_DAYS_AHEAD)
        )
        alerts_evaluate(today=today)

        self.stdout.write("")
        width = max(len(name) for name in result.counts)
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>7,}")

        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo logins"))
        rows = [("username", "password", "role", "team")]
        rows += [(login.username, login.password, str(login.role), login.team) for login in result.logins]
        widths = [max(_display_width(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [row[i] + " " * (widths[i] - _display_width(row[i])) for i in range(3)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))


def _display_width(text: str) -> int:
    """Columns a terminal gives ``text``: Japanese characters take two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)
