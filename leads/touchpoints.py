"""Touch points from the MA tool: the signature check of the webhook and the service that records an event.

An event is matched to a lead by email (an open lead first, then the newest); an unknown email becomes a
new company and inbound lead, distributed to the reps on shift. The event id is the idempotency key: the
same event sent again changes nothing and gets the first touch point back."""

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from org.errors import field_error

from .distribution import lead_distribute
from .models import Company, Lead, LeadSource, Origin, TouchPoint
from .scoring import touch_point_score
from .services import company_create, lead_create

SIGNATURE_HEADER = "X-Kakehashi-Signature"
TIMESTAMP_HEADER = "X-Kakehashi-Timestamp"
SIGNATURE_PREFIX = "sha256="

# The lead source of a new lead when the event names none: by what the person did, else web inquiry.
DEFAULT_SOURCE_BY_KIND = {TouchPoint.Kind.TRIAL: "trial", TouchPoint.Kind.SEMINAR: "seminar"}
DEFAULT_SOURCE = "web_inquiry"


class SignatureError(Exception):
    """The request is not signed with the shared secret, or the signature is too old to trust."""

    def __init__(self, code: str, message):
        super().__init__(message)
        self.code, self.message = code, message


def touch_point_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body``: signing the timestamp too means a captured request
    cannot be replayed later with a fresh one."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def touch_point_verify(
    *, secret: str, signature: str, timestamp: str, body: bytes, tolerance: int, now: float | None = None
) -> None:
    """Raises ``SignatureError`` unless ``signature`` is ``sha256=<hex>`` of this body and timestamp, and the
    timestamp (Unix seconds) is within ``tolerance`` seconds of now. Compared in constant time."""
    if not signature:
        raise SignatureError(
            "signature_missing", _("The request is not signed: send %(header)s.") % {"header": SIGNATURE_HEADER}
        )
    if not timestamp:
        raise SignatureError(
            "timestamp_missing", _("Send the signing time in %(header)s (Unix seconds).") % {"header": TIMESTAMP_HEADER}
        )
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("timestamp_invalid", _("%(header)s must be Unix seconds.") % {"header": TIMESTAMP_HEADER})
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        raise SignatureError(
            "timestamp_expired",
            _("The signature is more than %(seconds)s seconds away from now; sign the request when sending it.")
            % {"seconds": tolerance},
        )
    expected = SIGNATURE_PREFIX + touch_point_signature(secret=secret, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise SignatureError("signature_mismatch", _("The signature does not match the body."))


@dataclass(frozen=True)
class TouchPointReceipt:
    touch_point: TouchPoint
    created: bool  # False: the event id had been received before, and nothing was written


def touch_point_receive(
    *,
    event_id: str,
    kind: str,
    occurred_at: datetime,
    email: str,
    payload: dict,
    url: str = "",
    source: LeadSource | None = None,
    contact: dict | None = None,
) -> TouchPointReceipt:
    """Records one MA event as a touch point of the lead with that email (creating and distributing the
    lead when the email is unknown), then scores it. All or nothing. The same event id again returns the
    first touch point; with another payload it is refused (``event_id_reused``)."""
    try:
        with transaction.atomic():
            existing = TouchPoint.objects.select_related("lead").filter(external_id=event_id).first()
            if existing is not None:
                return _replay(existing, payload)
            lead = _lead_for(email=email.strip().lower(), kind=kind, source=source, contact=contact or {})
            touch_point = TouchPoint(
                lead=lead, kind=kind, url=url, occurred_at=occurred_at, external_id=event_id, payload=payload
            )
            touch_point.full_clean(exclude=["lead", "external_id"])
            touch_point.save()
            touch_point_score(touch_point=touch_point)
            return TouchPointReceipt(touch_point=touch_point, created=True)
    except IntegrityError:
        # The same event arrived twice at once and the other request stored it first.
        existing = TouchPoint.objects.select_related("lead").filter(external_id=event_id).first()
        if existing is None:
            raise
        return _replay(existing, payload)


def _replay(existing: TouchPoint, payload: dict) -> TouchPointReceipt:
    if existing.payload != payload:
        raise ValidationError(
            _("This event id was already received with a different body."),
            code="event_id_reused",
        )
    return TouchPointReceipt(touch_point=existing, created=False)


def _matching_lead(email: str) -> Lead | None:
    open_first = Case(When(status__in=Lead.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return Lead.objects.filter(email=email).annotate(closed=open_first).order_by("closed", "-created_at", "-id").first()


def _lead_for(*, email: str, kind: str, source: LeadSource | None, contact: dict) -> Lead:
    lead = _matching_lead(email)
    if lead is not None:
        return lead
    if connection.vendor == "postgresql":
        # Two events of one new person at once would otherwise create the lead twice: the second waits
        # here until the first commits, then finds its lead.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"touchpoint-email:{email}"])
        lead = _matching_lead(email)
        if lead is not None:
            return lead
    missing = {
        f"contact.{name}": ValidationError(
            _("An unknown email needs %(field)s to create the lead."), code="required", params={"field": name}
        )
        for name in ("last_name", "company")
        if not str(contact.get(name) or "").strip()
    }
    if missing:
        raise ValidationError(missing)
    company_name = contact["company"].strip()
    company = Company.objects.filter(name=company_name).order_by("id").first() or company_create(
        name=company_name, employee_count=contact.get("employee_count")
    )
    lead = lead_create(
        actor=None,
        company=company,
        last_name=contact["last_name"],
        first_name=contact.get("first_name", ""),
        department=contact.get("department", ""),
        title=contact.get("title", ""),
        phone=contact.get("phone", ""),
        email=email,
        source=source or _default_source(kind),
        origin=Origin.INBOUND,
    )
    return lead_distribute(lead=lead)


def _default_source(kind: str) -> LeadSource:
    code = DEFAULT_SOURCE_BY_KIND.get(kind, DEFAULT_SOURCE)
    source = (
        LeadSource.objects.filter(code=code, is_active=True).first()
        or LeadSource.objects.filter(channel=LeadSource.Channel.WEB, is_active=True).order_by("sort_order").first()
    )
    if source is None:
        raise field_error("source", _("Name the lead source: no web source is active."), code="source_missing")
    return source
