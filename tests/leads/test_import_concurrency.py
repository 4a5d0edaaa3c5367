"""Two imports of the same people at the same moment: the import lock lets one check-and-write at a time,
so the second finds them already imported and adds nothing.

Advisory locks are PostgreSQL's; these run there (CI runs the suite on PostgreSQL)."""

import threading

import pytest
from django.db import connection

from leads.models import Company, ImportJob, Lead, LeadSource
from leads.services import (
    import_job_create,
    import_job_run,
    import_job_set_columns,
    import_job_start,
    import_job_validate,
)
from tests.defaults import ensure_default_data
from tests.org.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs_postgres]

FILE = "".join(
    ["会社名,氏名,メール,電話\n"]
    + [f"株式会社ワカバ{i % 7},野村 優{i},nomura{i}@wakaba.jp,03-9999-{i:04d}\n" for i in range(300)]
).encode()


@pytest.fixture(autouse=True)
def default_data():
    ensure_default_data()


def ready(user, mode) -> ImportJob:
    job = import_job_create(
        actor=user, file_name="list.csv", data=FILE, source=LeadSource.objects.get(code="house_list")
    )
    import_job_set_columns(job=job, actor=user, columns=job.columns, queue=False)
    job = import_job_validate(job_id=job.pk)
    return import_job_start(job=job, actor=user, mode=mode, queue=False)


def race(*calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.parametrize("attempt", range(3))
def test_the_same_file_imported_twice_at_once_creates_each_lead_once(attempt):
    user = UserFactory(marketing=True)
    first, second = ready(user, ImportJob.Mode.ALL), ready(user, ImportJob.Mode.VALID_ONLY)

    race(lambda: import_job_run(job_id=first.pk), lambda: import_job_run(job_id=second.pk))

    assert Lead.objects.count() == 300
    assert Company.objects.count() == 7
    outcomes = sorted(
        ImportJob.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "imported_rows", "error_rows")
    )
    # Whichever ran second found every row already imported: "all" stops with nothing written, "only the
    # valid rows" has none left to import.
    assert outcomes in (
        [("done", 0, 300), ("done", 300, 0)],
        [("done", 300, 0), ("validated", 0, 300)],
    )
