"""What every endpoint under /api/v1/ shares: token auth, one error format, cursor pagination,
per-token throttling, idempotent POSTs and strict input (unknown fields are refused, not ignored)."""

import hashlib
import json
from datetime import UTC, datetime
from functools import wraps

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import IsoDateTimeFilter, NumberFilter
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler

from org.models import IdempotencyRecord


class SyncCursorPagination(CursorPagination):
    """Oldest change first, so a tool can sync with ``updated_since`` and follow ``next`` to the end."""

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class PicklistPagination(SyncCursorPagination):
    ordering = ("sort_order", "id")


def _messages(errors) -> list[dict]:
    # A ValidationError's str() is the repr of its message list ("['...']"); iterating it gives the text.
    return [
        {
            "code": getattr(e, "code", None) or "invalid",
            "message": " ".join(e) if isinstance(e, DjangoValidationError) else str(e),
        }
        for e in errors
    ]


def error_body(code: str, message: str, field_errors=None, errors=None) -> dict:
    return {"code": code, "message": message, "field_errors": field_errors or {}, "errors": errors or []}


def django_validation_body(error: DjangoValidationError, code: str = "invalid") -> dict:
    """A service's ValidationError as the API's error format, keeping each message's code."""
    if not hasattr(error, "error_dict"):
        errors = _messages(error.error_list)
        return error_body(errors[0]["code"] if code == "invalid" else code, errors[0]["message"], errors=errors)
    field_errors = {field: _messages(errors) for field, errors in error.error_dict.items() if field != NON_FIELD_ERRORS}
    errors = _messages(error.error_dict.get(NON_FIELD_ERRORS, []))
    return error_body(code, _("The request has errors; see field_errors and errors."), field_errors, errors)


def _drf_field_errors(detail) -> tuple[dict, list]:
    if isinstance(detail, list):
        return {}, [{"code": d.code, "message": str(d)} for d in detail]
    field_errors, errors = {}, []
    for field, items in detail.items():
        items = items if isinstance(items, list) else [items]
        flat = [
            {"code": getattr(item, "code", "invalid"), "message": str(item)}
            if not isinstance(item, dict)
            else {"code": "invalid", "message": json.dumps(item, ensure_ascii=False)}
            for item in items
        ]
        if field in ("non_field_errors", NON_FIELD_ERRORS):
            errors.extend(flat)
        else:
            field_errors[field] = flat
    return field_errors, errors


def api_exception_handler(exc, context):
    """One error format everywhere: {code, message, field_errors, errors}."""
    if isinstance(exc, DjangoValidationError):
        return Response(django_validation_body(exc), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        field_errors, errors = _drf_field_errors(exc.detail)
        response.data = error_body(
            "invalid", _("The request has errors; see field_errors and errors."), field_errors, errors
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(code if isinstance(code, str) else "error", str(detail))
    return response


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so nobody can set owner, phase or status by adding them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = set(data) - {name for name, field in self.fields.items() if not field.read_only}
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field cannot be set here.")] for name in sorted(unknown)}, code="not_writable"
                )
        return super().to_internal_value(data)


IDEMPOTENCY_HEADER = "Idempotency-Key"


class UnicodeJSONParser(JSONParser):
    """JSON whose strings are real text: JSON may escape half of a UTF-16 surrogate pair ("\\udb0c"),
    which no database column or UTF-8 answer can hold, so such a body is refused as malformed."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not _is_text(data):
            raise exceptions.ParseError(_("The body holds half of a UTF-16 surrogate pair, which is not text."))
        return data


def _is_text(value) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_is_text(item) for item in value)
    if isinstance(value, dict):
        return all(_is_text(key) and _is_text(item) for key, item in value.items())
    return True


def storable_json(value):
    """``value`` with NUL characters, which PostgreSQL's jsonb refuses, as U+FFFD. JSON allows them, even
    in an unknown field's name that an error answer echoes back; a replay gives them back so."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [storable_json(item) for item in value]
    if isinstance(value, dict):
        return {storable_json(key): storable_json(item) for key, item in value.items()}
    return value


def idempotent(view_method):
    """A POST carrying an Idempotency-Key acts once: retries get the first answer back.

    The record and the action commit together; a concurrent retry waits on the key's unique index and
    then replays. Reusing a key for a different request is refused; server errors are not stored."""

    @wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            return view_method(self, request, *args, **kwargs)
        if len(key) > 200:
            raise exceptions.ValidationError({IDEMPOTENCY_HEADER: [_("At most 200 characters.")]})
        fingerprint = hashlib.sha256(
            f"{request.method} {request.path}\n".encode()
            + json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(user=request.user, key=key, fingerprint=fingerprint)
            except IntegrityError:
                record = None
            if record is not None:
                try:
                    response = view_method(self, request, *args, **kwargs)
                except Exception as exc:  # the error answer is part of what a retry must get back
                    response = self.handle_exception(exc)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.body = storable_json(json.loads(json.dumps(response.data, default=str)))
                record.save(update_fields=["status_code", "body"])
                return response
        record = IdempotencyRecord.objects.get(user=request.user, key=key)
        if record.fingerprint != fingerprint:
            return Response(
                error_body("idempotency_key_reused", _("This Idempotency-Key was used for a different request.")),
                status=422,
            )
        return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})

    return wrapper


class UtcDateTimeFilter(IsoDateTimeFilter):
    """An ISO date-time compared in UTC: offsets PostgreSQL cannot store (beyond ±15:59) still work."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError:
                # Within hours of the calendar's first or last day, UTC falls outside it (a 500 before):
                # nothing in the database is that old or that new, so the calendar's end compares the same.
                value = (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)
        return super().filter(qs, value)


class IdFilter(NumberFilter):
    """An id that is only a number: it never confirms which hidden rows exist, nor overflows a bigint."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "field_errors", "errors"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "field_errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}},
        },
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ErrorItem"}},
    },
}
ERROR_ITEM_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
ERROR_STATUSES = {
    "400": "The request has errors (field_errors, errors); a gate failure has code gate_failed.",
    "401": "Missing, unknown or revoked API key.",
    "403": "Allowed to see but not to do this.",
    "404": "No such object, or not yours to see.",
    "429": "Too many requests for this key; see Retry-After.",
}


def document_errors(result, generator, request, public):
    """Postprocessing hook: every operation may answer with the common error format, and every POST
    takes an Idempotency-Key header (and may answer 422 when a key is reused for another request)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ErrorItem"] = ERROR_ITEM_SCHEMA
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for method, operation in path.items():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {"description": description, "content": error})
            if method == "post":
                responses.setdefault(
                    "422", {"description": "Idempotency-Key reused for another request.", "content": error}
                )
                operation.setdefault("parameters", []).append(
                    {
                        "name": IDEMPOTENCY_HEADER,
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 200},
                        "description": "Retries with the same key get the first answer back.",
                    }
                )
    return result
