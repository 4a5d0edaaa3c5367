"""Change history of the records people work on: leads, deals, handoffs and CS accounts.

Every save of a tracked model writes a full snapshot of the row with who and when (django-simple-history).
*Who* is the ``actor`` of the service doing the write, for that service and every service it calls
(``records_actor``), so a Celery task, a management command or an API call made with a token names the
same person a page would; outside a service it is the signed-in user of the request, else nobody (the
system: scoring, the MA webhook, imports without an owner).

Writes that bypass ``save()`` (``update()``, ``bulk_create``) would leave the history behind the row; the
services use ``save(update_fields=...)`` on a locked row or simple-history's ``bulk_*_with_history`` instead,
so replaying a record's history always yields the row as it is (``record_replay``).
"""

import contextvars
import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import connection, models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

_actor: contextvars.ContextVar = contextvars.ContextVar("history_actor", default=None)

# Shown on no record page: they change with every save or are derived from other fields.
HIDDEN_FIELDS = frozenset({"id", "updated_at", "created_at"})
NO_VALUE = (None, "")
# What a related record's name is made of, beyond its own row.
STR_NEEDS = {"leads.Lead": ("company",), "opportunities.CSAccount": ("company",)}
HISTORY_PAGE = 20
HISTORY_MAX = 1000


@contextmanager
def acting_as(user):
    """Writes inside the block are recorded as ``user``'s (``None`` leaves the outer actor in place)."""
    if user is None:
        yield
        return
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def records_actor(service):
    """Decorates a service taking ``actor=``: every tracked write it makes, directly or through the services
    it calls, is recorded as the actor's."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        with acting_as(kwargs.get("actor")):
            return service(*args, **kwargs)

    return wrapper


def history_user(instance=None, request=None, **kwargs):
    """simple-history's ``get_user``: the acting service's actor, else the request's signed-in user."""
    user = _actor.get()
    if user is not None:
        return user
    return request.user if request is not None else None


def tracked(*, fk_fields: list[str]) -> HistoricalRecords:
    """The history of one model. Foreign keys in the history table get no index (the history is read by
    record id only) so that bulk imports pay as little as possible for it."""
    return HistoricalRecords(get_user=history_user, no_db_index=fk_fields, cascade_delete_history=False)


def tracked_fields(model) -> list[models.Field]:
    return list(model.history.model.tracked_fields)


def record_values(instance) -> dict:
    """The row's tracked values, by column (``owner_id``, not ``owner``)."""
    return {f.attname: getattr(instance, f.attname) for f in tracked_fields(type(instance))}


def record_replay(model, pk) -> dict | None:
    """Rebuilds a record's tracked values from its history alone: starts from the creation snapshot and
    applies, in order, only what each later change altered. ``None`` when the history ends in a delete
    (or there is none)."""
    attnames = [f.attname for f in tracked_fields(model)]
    state: dict | None = None
    previous: dict | None = None
    for snapshot in model.history.filter(id=pk).order_by("history_date", "history_id").iterator():
        if snapshot.history_type == "-":
            state = previous = None
            continue
        values = {name: getattr(snapshot, name) for name in attnames}
        if state is None:
            state = dict(values)
        else:
            state.update({name: value for name, value in values.items() if previous[name] != value})
        previous = values
    return state


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    at: datetime
    user: object
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class RecordHistory:
    entries: list[HistoryEntry]
    has_more: bool
    next_limit: int


KIND_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


def _display(fld: models.Field, value, related: dict) -> str:
    if value is None or value == "":
        return "—"
    if fld.is_relation:
        obj = related.get(fld.related_model, {}).get(value)
        return str(obj) if obj is not None else f"#{value}"
    if fld.choices:
        return str(dict(fld.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return str(value)


def history_limit(request, default: int = HISTORY_PAGE) -> int:
    try:
        limit = int(request.GET.get("history", default))
    except ValueError:
        return default
    return min(max(limit, default), HISTORY_MAX)


def record_history(instance, *, limit: int = HISTORY_PAGE) -> RecordHistory:
    """The newest ``limit`` changes of a record, each with who, when and every shown field's old → new value
    rendered for people (choice labels, the related record's name, local dates). One query for the snapshots
    and one per kind of related record."""
    model = type(instance)
    fields = [f for f in tracked_fields(model) if f.name not in HIDDEN_FIELDS and f.editable]
    snapshots = list(
        model.history.filter(id=instance.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    has_more = len(snapshots) > limit
    # Each shown change is read against the one before it; the extra snapshot is only that baseline.
    pairs = [(s, snapshots[i + 1] if i + 1 < len(snapshots) else None) for i, s in enumerate(snapshots[:limit])]

    wanted: dict = {}
    raw = []
    for snapshot, before in pairs:
        if snapshot.history_type == "-":
            diffs = []
        elif before is None or snapshot.history_type == "+":
            # A creation (or the first snapshot kept): what it started with.
            diffs = [
                (f, None, getattr(snapshot, f.attname)) for f in fields if getattr(snapshot, f.attname) not in NO_VALUE
            ]
        else:
            diffs = [
                (f, getattr(before, f.attname), getattr(snapshot, f.attname))
                for f in fields
                if getattr(before, f.attname) != getattr(snapshot, f.attname)
            ]
        for f, old, new in diffs:
            if f.is_relation:
                wanted.setdefault(f.related_model, set()).update(v for v in (old, new) if v is not None)
        raw.append((snapshot, before is not None and snapshot.history_type == "~", diffs))
    related = {
        rel: rel._base_manager.select_related(*STR_NEEDS.get(rel._meta.label, ())).in_bulk(list(pks))
        for rel, pks in wanted.items()
    }

    entries = [
        HistoryEntry(
            at=snapshot.history_date,
            user=snapshot.history_user,
            kind=str(KIND_LABELS.get(snapshot.history_type, "")),
            reason=snapshot.history_change_reason or "",
            changes=[
                Change(
                    label=str(f.verbose_name),
                    old=_display(f, old, related) if shows_old else "",
                    new=_display(f, new, related),
                )
                for f, old, new in diffs
            ],
        )
        for snapshot, shows_old, diffs in raw
    ]
    return RecordHistory(entries=entries, has_more=has_more, next_limit=min(limit + HISTORY_PAGE * 5, HISTORY_MAX))


def snapshot_existing_rows(apps, app_label: str, model_name: str, batch_size: int = 2000) -> None:
    """For a data migration: the rows that existed before their model was tracked get a creation snapshot
    of their state then (dated at their last change, by nobody), so their replay starts from there."""
    model = apps.get_model(app_label, model_name)
    historical = apps.get_model(app_label, f"Historical{model_name}")
    base = {f.attname for f in model._meta.concrete_fields}
    names = [f.attname for f in historical._meta.concrete_fields if f.attname in base]
    already = historical.objects.values("id")
    rows = model._base_manager.exclude(pk__in=already).order_by("pk")
    last_pk = 0
    while True:
        chunk = list(rows.filter(pk__gt=last_pk)[:batch_size])
        if not chunk:
            return
        historical.objects.bulk_create(
            [
                historical(
                    **{name: getattr(row, name) for name in names},
                    history_date=getattr(row, "updated_at", None) or timezone.now(),
                    history_type="+",
                    history_change_reason="before history",
                )
                for row in chunk
            ]
        )
        last_pk = chunk[-1].pk


def history_catch_up(model, *, reason: str, user=None, batch_size: int = 1000) -> int:
    """Writes a snapshot for every row whose history does not end in its current values (a creation
    snapshot when it has none): for bulk jobs such as the demo story that set columns with ``update()``.
    Returns how many rows needed one."""
    historical = model.history.model
    attnames = [f.attname for f in tracked_fields(model)]
    latest_ids = historical.objects.values("id").annotate(last=models.Max("history_id")).values("last")
    latest = {row["id"]: row for row in historical.objects.filter(history_id__in=latest_ids).values("id", *attnames)}
    created, changed = [], []
    for row in model._base_manager.order_by("pk").iterator(chunk_size=batch_size):
        last = latest.get(row.pk)
        if last is None:
            created.append(row)
        elif any(last[name] != getattr(row, name) for name in attnames):
            changed.append(row)
    for rows, update in ((created, False), (changed, True)):
        model.history.bulk_history_create(
            rows, batch_size=batch_size, update=update, default_user=user, default_change_reason=reason
        )
    return len(created) + len(changed)


def history_snapshot_rows(model, pks: list[int], *, user=None, reason: str = "", history_type: str = "+") -> None:
    """Writes one snapshot per row ``pks`` names, copied by the database from the rows as they are now: for
    bulk inserts, where building a historical instance per row in Python (``bulk_create_with_history``)
    would cost about as much again as inserting the rows. Off, like simple-history, when the setting
    ``SIMPLE_HISTORY_ENABLED`` is false."""
    if not pks or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in tracked_fields(model))
    extra = ", ".join(qn(c) for c in ("history_date", "history_type", "history_user_id", "history_change_reason"))
    sql = (
        f"INSERT INTO {qn(model.history.model._meta.db_table)} ({columns}, {extra}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {qn(model._meta.db_table)} "
        f"WHERE {qn(model._meta.pk.column)} IN ({', '.join(['%s'] * len(pks))})"
    )
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [at, history_type, user.pk if user is not None else None, reason, *pks])
