"""Imports a CSV or Excel file of leads, with the same checks as the browser import, and prints the report.

manage.py import_leads leads.csv --source trade_show [--mapping NAME] [--valid-only] [--dry-run]
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from leads.imports import error_message
from leads.models import ImportJob, ImportMapping, LeadSource
from leads.services import (
    import_job_create,
    import_job_run,
    import_job_set_columns,
    import_job_start,
    import_job_validate,
)
from org.models import Team, User


class Command(BaseCommand):
    help = (
        "Import leads from a CSV (UTF-8 or Shift_JIS) or Excel file; nothing is imported unless the file is "
        "clean or --valid-only is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--source", required=True, help="lead source code, e.g. trade_show")
        parser.add_argument("--mapping", help="the source's saved column mapping to use (by name)")
        parser.add_argument("--team", help="IS team (name) whose pool gets the leads; default: the mapping's")
        parser.add_argument("--user", help="who imports (username); default: the first administrator")
        parser.add_argument("--valid-only", action="store_true", help="import the valid rows, skip the others")
        parser.add_argument("--dry-run", action="store_true", help="check and report, import nothing")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        source = LeadSource.objects.filter(code=options["source"], is_active=True).first()
        if source is None:
            codes = ", ".join(LeadSource.objects.filter(is_active=True).values_list("code", flat=True))
            raise CommandError(f"Unknown lead source {options['source']!r}. Allowed: {codes}")
        mapping = None
        if options["mapping"]:
            mapping = ImportMapping.objects.filter(source=source, name=options["mapping"]).first()
            if mapping is None:
                names = ", ".join(ImportMapping.objects.filter(source=source).values_list("name", flat=True)) or "none"
                raise CommandError(f"No mapping {options['mapping']!r} for {source.code}. Saved: {names}")
        team = None
        if options["team"]:
            team = Team.objects.filter(name=options["team"]).first()
            if team is None:
                raise CommandError(f"No team {options['team']!r}")
        actor = self.actor(options["user"])

        try:
            job = import_job_create(
                actor=actor, file_name=path.name, data=path.read_bytes(), source=source, mapping=mapping, team=team
            )
            job = import_job_set_columns(
                job=job,
                actor=actor,
                columns=job.columns,
                origin=job.origin,
                team=job.team,
                queue=False,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        job = import_job_validate(job_id=job.pk)
        self.print_report(job)

        if options["dry_run"]:
            self.stdout.write("Dry run: nothing imported.")
            return
        if job.error_rows and not options["valid_only"]:
            raise CommandError(
                f"Nothing imported: {job.error_rows} rows have errors. Fix them, or use --valid-only to skip them."
            )
        if not job.valid_rows:
            raise CommandError("Nothing imported: no row is valid.")
        mode = ImportJob.Mode.VALID_ONLY if job.error_rows else ImportJob.Mode.ALL
        import_job_start(job=job, actor=actor, mode=mode, queue=False)
        job = import_job_run(job_id=job.pk)
        if job.status != ImportJob.Status.DONE:
            self.print_report(job)
            raise CommandError(job.failure or f"The import is {job.get_status_display()}.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {job.imported_rows} leads ({job.companies_created} new companies); "
                f"skipped {job.error_rows} rows. Import #{job.pk}."
            )
        )

    def actor(self, username: str | None) -> User:
        users = User.objects.filter(is_active=True)
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"No active user {username!r}")
            return user
        user = users.filter(Q(is_superuser=True) | Q(role=User.Role.ADMIN)).order_by("pk").first()
        if user is None:
            raise CommandError("No administrator to import as: pass --user USERNAME")
        return user

    def print_report(self, job: ImportJob) -> None:
        columns = ", ".join(f"{field}={heading}" for field, heading in job.columns.items())
        self.stdout.write(f"{job.file_name} ({job.encoding or 'xlsx'}): {job.total_rows} rows. Columns: {columns}")
        self.stdout.write(f"Valid rows: {job.valid_rows}. Rows with errors: {job.error_rows}.")
        for entry in job.report:
            messages = " / ".join(error_message(error) for error in entry["errors"])
            self.stdout.write(f"  row {entry['row']}: {messages}")
