"""Lead imports run in a worker (in the request when no broker is configured). Each task takes the job's
id and calls its service, which does nothing for a job no longer waiting for it: a redelivered task is
harmless."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def validate_import(job_id: int) -> int:
    job = services.import_job_validate(job_id=job_id)
    return job.error_rows if job else 0


@shared_task(acks_late=True)
def run_import(job_id: int) -> int:
    job = services.import_job_run(job_id=job_id)
    return job.imported_rows if job else 0


@shared_task
def purge_trash() -> int:
    """Nightly: deletes for good what has been in the trash past its days; safe to run twice."""
    purged, _kept = services.trash_purge()
    return purged
