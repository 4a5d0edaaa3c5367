from datetime import date, timedelta
from time import perf_counter

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards.services import metrics_rebuild


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Recomputes every metric from the facts for the days from --from to --to (company time zone), and "
        "the whole ISO weeks and months containing them. Gives the same rows as the incremental rollup."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", type=_day, help="First day (default: 400 days ago).")
        parser.add_argument("--to", dest="last", type=_day, help="Last day (default: 90 days ahead, for assets).")

    def handle(self, *args, first: date | None, last: date | None, **options):
        today = timezone.localdate()
        first = first or today - timedelta(days=400)
        last = last or today + timedelta(days=90)
        if last < first:
            raise CommandError(f"--to ({last}) is before --from ({first}).")
        started = perf_counter()
        metrics_rebuild(first_day=first, last_day=last, today=today)
        self.stdout.write(f"Rebuilt the metrics from {first} to {last} in {perf_counter() - started:.1f} s.")
