"""Lead files: reading CSV (UTF-8, with or without BOM, or Shift_JIS/CP932) and Excel, the importable
fields and their column mapping, and the check of every row — formats, required fields, picklists and
duplicates against the database and within the file. Reads only; ``services`` writes."""

import codecs
import csv
import gc
import io
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext_lazy as _

from org.spreadsheet import SafeWriter, unescape_cell

from . import normalize
from .models import Campaign, Company, Industry, Lead, LeadSource, Origin

MAX_ROWS = 200_000
MAX_BYTES = 50 * 1024 * 1024
# Keys per duplicate-check query (one array parameter on PostgreSQL; within SQLite's parameter limit).
QUERY_CHUNK = 10_000


@dataclass(frozen=True)
class ImportField:
    name: str
    label: object
    required: bool = False
    max_length: int | None = None
    # Column headings that map to the field without asking (compared NFKC, lower-case, without spaces).
    headings: tuple[str, ...] = ()


FIELDS = (
    ImportField(
        "company_name",
        _("Company name"),
        required=True,
        max_length=200,
        headings=("会社名", "企業名", "法人名", "社名", "会社", "company", "companyname", "company_name", "組織名"),
    ),
    ImportField(
        "full_name",
        _("Full name (family name first)"),
        max_length=121,
        headings=("氏名", "名前", "お名前", "担当者名", "担当者", "ご担当者名", "フルネーム", "name", "fullname"),
    ),
    ImportField("last_name", _("Family name"), max_length=60, headings=("姓", "苗字", "lastname", "last_name")),
    ImportField("first_name", _("Given name"), max_length=60, headings=("名", "firstname", "first_name")),
    ImportField("department", _("Department"), max_length=100, headings=("部署", "部署名", "所属", "department")),
    ImportField("title", _("Title"), max_length=100, headings=("役職", "役職名", "title", "jobtitle")),
    ImportField(
        "email",
        _("Email"),
        max_length=254,
        headings=("メール", "メールアドレス", "mail", "email", "e-mail", "emailaddress", "e-mailアドレス"),
    ),
    ImportField(
        "phone", _("Phone"), max_length=30, headings=("電話", "電話番号", "tel", "phone", "phonenumber", "連絡先")
    ),
    ImportField("prefecture", _("Prefecture"), headings=("都道府県", "prefecture", "県")),
    ImportField("address", _("Address (the prefecture is read from it)"), headings=("住所", "所在地", "address")),
    ImportField("industry", _("Industry"), headings=("業種", "業界", "industry")),
    ImportField("employee_count", _("Employees"), headings=("従業員数", "社員数", "従業員", "employees")),
    ImportField(
        "website", _("Website"), max_length=200, headings=("url", "website", "ホームページ", "webサイト", "hp")
    ),
    ImportField("source", _("Lead source"), headings=("リードソース", "流入元", "獲得経路", "source", "leadsource")),
    ImportField("campaign", _("Campaign"), headings=("キャンペーン", "施策", "campaign")),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}

# Why a row cannot be imported. Messages are rendered in the reader's language from the stored code and
# params, so the report reads the same in Japanese and English whoever validated it.
MESSAGES = {
    "required": _("%(column)s: required, but empty."),
    "name_required": _("The contact's name is required: map a full name or a family name column."),
    "too_long": _("%(column)s: at most %(max)s characters (this has %(length)s)."),
    "invalid_email": _("%(column)s: “%(value)s” is not an email address."),
    "invalid_phone": _(
        "%(column)s: “%(value)s” is not a phone number (a Japanese number has 10 digits, 11 for mobiles)."
    ),
    "unknown_prefecture": _("%(column)s: “%(value)s” is not a prefecture (e.g. 東京都, 大阪府, 13)."),
    "invalid_count": _("%(column)s: “%(value)s” is not a whole number above zero."),
    "invalid_url": _("%(column)s: “%(value)s” is not a web address."),
    "unknown_industry": _("%(column)s: unknown industry “%(value)s”. Allowed: %(allowed)s."),
    "unknown_source": _("%(column)s: unknown lead source “%(value)s”. Allowed: %(allowed)s."),
    "unknown_campaign": _("%(column)s: unknown campaign “%(value)s”. Allowed: %(allowed)s."),
    "campaign_source": _(
        "%(column)s: campaign “%(value)s” belongs to lead source %(campaign_source)s, not %(source)s."
    ),
    "extra_cells": _("The row has %(cells)s cells but the file has %(columns)s columns."),
    "duplicate_email": _("%(column)s: lead #%(lead)s already has the email “%(value)s”."),
    "duplicate_phone": _("%(column)s: lead #%(lead)s (%(name)s) already has the phone “%(value)s”."),
    "duplicate_name": _("Lead #%(lead)s is already %(name)s at %(company)s."),
    "duplicate_row_email": _("%(column)s: row %(row)s has the same email “%(value)s”."),
    "duplicate_row_phone": _("%(column)s: row %(row)s has the same person and phone “%(value)s”."),
    "duplicate_row_name": _("Row %(row)s has the same person at the same company."),
}


def error_message(error: dict) -> str:
    return str(MESSAGES[error["code"]]) % error["params"]


@contextmanager
def gc_paused():
    """Python's cycle collector off while a file's rows are read, checked or imported. Those steps make
    hundreds of thousands of small lists and dicts, none of them cyclic, and each burst of allocations sets
    off a full collection that walks all of them again: with it on, a third of a large import's time went
    into collections that found nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class FileError(ValidationError):
    """The file as a whole cannot be read."""


@dataclass
class ParsedFile:
    headers: list[str]
    rows: list[list]  # [row number, [cells]]
    encoding: str


def _unique_headers(raw: list) -> list[str]:
    seen: dict[str, int] = {}
    headers = []
    for index, value in enumerate(raw):
        name = normalize.nfkc(str(value or "")) or _("Column %(n)s") % {"n": index + 1}
        name = str(name)
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        headers.append(name)
    return headers


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError:
        raise FileError(
            _("The file is neither UTF-8 nor Shift_JIS (CP932) text. Save it as “CSV UTF-8” and upload it again."),
            code="undecodable",
        ) from None


def _cell(value) -> str:
    if isinstance(value, str):
        if "\x00" in value:
            # Not text (a binary file renamed, or a broken export); the database could not store it either.
            raise FileError(
                _("The file holds a NUL character (byte 0), which is not text. Save it again as CSV or .xlsx."),
                code="nul_character",
            )
        # The error report writes formula-like cells as text ('=...); a corrected file comes back with them.
        return unescape_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _collect(records, *, encoding: str) -> ParsedFile:
    """Headings from the first non-empty record; empty records are skipped but keep their numbers."""
    headers = None
    rows = []
    for number, record in enumerate(records, start=1):
        cells = [_cell(value).strip() for value in record]
        if not any(cells):
            continue
        if headers is None:
            headers = _unique_headers(cells)
            continue
        rows.append([number, cells])
        if len(rows) > MAX_ROWS:
            raise FileError(
                _("The file has more than %(max)s rows; split it into smaller files."),
                code="too_many_rows",
                params={"max": f"{MAX_ROWS:,}"},
            )
    if headers is None:
        raise FileError(_("The file is empty."), code="empty")
    if not rows:
        raise FileError(_("The file has headings but no rows."), code="no_rows")
    return ParsedFile(headers=headers, rows=rows, encoding=encoding)


def read_csv(data: bytes) -> ParsedFile:
    text, encoding = _decode(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), dialect), encoding=encoding)
    except csv.Error as error:
        raise FileError(_("The CSV is malformed: %(error)s"), code="bad_csv", params={"error": error}) from None


def read_excel(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileError(_("The file is not an Excel workbook (.xlsx)."), code="bad_excel") from None
    try:
        sheet = workbook.worksheets[0]
        return _collect(sheet.iter_rows(values_only=True), encoding="")
    finally:
        workbook.close()


def read_file(*, name: str, data: bytes) -> ParsedFile:
    if len(data) > MAX_BYTES:
        raise FileError(
            _("The file is larger than %(mb)s MB; split it into smaller files."),
            code="too_large",
            params={"mb": MAX_BYTES // 1024 // 1024},
        )
    lower = name.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        return read_excel(data)
    if lower.endswith(".xls"):
        raise FileError(_("Old .xls workbooks cannot be read: save it as .xlsx or CSV."), code="old_excel")
    if data[:4] == b"PK\x03\x04":
        return read_excel(data)
    return read_csv(data)


def guess_columns(headers: list[str], saved: dict | None = None) -> dict[str, str]:
    """Field → heading: the saved mapping's headings that are in the file, then headings that name a field."""
    columns = {
        name: heading for name, heading in (saved or {}).items() if heading in headers and name in FIELDS_BY_NAME
    }
    taken = set(columns.values())
    for heading in headers:
        if heading in taken:
            continue
        key = normalize.picklist_key(heading)
        for f in FIELDS:
            if f.name not in columns and key in f.headings:
                columns[f.name] = heading
                taken.add(heading)
                break
    return columns


def mapping_errors(columns: dict[str, str], headers: list[str]) -> dict[str, list[str]]:
    """What is wrong with a mapping itself, by field: an unknown heading, a required field left out."""
    errors: dict[str, list] = defaultdict(list)
    for name, heading in columns.items():
        if name not in FIELDS_BY_NAME:
            errors["__all__"].append(str(_("Unknown field %(field)s.") % {"field": name}))
        elif heading and heading not in headers:
            errors[name].append(str(_("The file has no column “%(column)s”.") % {"column": heading}))
    if not columns.get("company_name"):
        errors["company_name"].append(str(_("Choose the column that holds the company name.")))
    if not columns.get("full_name") and not columns.get("last_name"):
        errors["full_name"].append(str(_("Choose the column with the contact's full name, or their family name.")))
    return dict(errors)


@dataclass
class RowResult:
    number: int
    cells: list[str]
    values: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    def add(self, field_name: str, column: str, code: str, **params) -> None:
        self.errors.append(
            {"field": field_name, "column": column, "code": code, "params": {"column": column, **params}}
        )


@dataclass
class Report:
    results: list[RowResult]
    valid: list[RowResult]
    invalid: list[RowResult]
    # Existing companies by name key (the oldest when several share one).
    companies: dict[str, int]

    def as_json(self) -> list[dict]:
        return [{"row": r.number, "cells": r.cells, "errors": r.errors} for r in self.invalid]


def _allowed(rows) -> str:
    return ", ".join(f"{code} ({name})" for code, name in rows)


class Picklists:
    """The picklist values a file may name, by code or by either name."""

    def __init__(self):
        self.sources = {}
        self.industries = {}
        self.campaigns = {}
        sources = list(LeadSource.objects.filter(is_active=True))
        for source in sources:
            for value in (source.code, source.name_ja, source.name_en):
                self.sources[normalize.picklist_key(value)] = source
        self.source_allowed = _allowed((s.code, s.name_ja) for s in sources)
        industries = list(Industry.objects.filter(is_active=True))
        for industry in industries:
            for value in (industry.code, industry.name_ja, industry.name_en):
                self.industries[normalize.picklist_key(value)] = industry
        self.industry_allowed = _allowed((i.code, i.name_ja) for i in industries)
        campaigns = list(Campaign.objects.filter(is_active=True).select_related("source"))
        for campaign in campaigns:
            self.campaigns[normalize.picklist_key(campaign.name)] = campaign
        self.campaign_allowed = ", ".join(c.name for c in campaigns) or "—"


def origin_for(source: LeadSource) -> str:
    """Lists the team calls out to are outbound; everything a prospect started (a form, a booth, a
    seminar, a referral) is inbound."""
    return Origin.OUTBOUND if source.channel == LeadSource.Channel.LIST else Origin.INBOUND


def _eager(validator: EmailValidator) -> EmailValidator:
    """Django's e-mail validator with its patterns compiled now: they are lazy objects, and going through
    the proxy on every match is a sixth of the time a row's checks take on a large file."""
    for name in ("user_regex", "domain_regex", "literal_regex"):
        lazy = getattr(validator, name)
        setattr(validator, name, re.compile(lazy.pattern, lazy.flags))
    return validator


class RowChecker:
    """Checks rows against one mapping; ``check`` adds the duplicate checks over the whole file."""

    def __init__(self, *, headers: list[str], columns: dict[str, str], source: LeadSource, origin: str = ""):
        self.headers = headers
        self.index = {name: headers.index(heading) for name, heading in columns.items() if heading in headers}
        self.column = {name: heading for name, heading in columns.items() if heading in headers}
        self.source = source
        self.origin = origin
        self.picklists = Picklists()
        self.email_validator = _eager(EmailValidator())
        self.url_validator = URLValidator(schemes=["http", "https"])

    def _get(self, cells: list[str], name: str) -> str:
        i = self.index.get(name)
        return cells[i] if i is not None and i < len(cells) else ""

    def _text(self, row: RowResult, cells, name: str) -> str:
        value = normalize.nfkc(self._get(cells, name))
        limit = FIELDS_BY_NAME[name].max_length
        if limit and len(value) > limit:
            row.add(name, self.column[name], "too_long", max=limit, length=len(value))
        return value

    def check_row(self, number: int, cells: list[str]) -> RowResult:
        row = RowResult(number=number, cells=cells)
        v = row.values
        if len(cells) > len(self.headers) and any(cells[len(self.headers) :]):
            row.add("", "", "extra_cells", cells=len(cells), columns=len(self.headers))
        v["company_name"] = self._text(row, cells, "company_name")
        if not v["company_name"]:
            row.add("company_name", self.column.get("company_name", ""), "required")
        v["company_key"] = normalize.company_key(v["company_name"]) if v["company_name"] else ""

        last, first = self._text(row, cells, "last_name"), self._text(row, cells, "first_name")
        if "full_name" in self.index and not last:
            full = self._text(row, cells, "full_name")
            last, split_first = normalize.split_full_name(full)
            first = first or split_first
            if len(last) > 60 or len(first) > 60:
                row.add("full_name", self.column["full_name"], "too_long", max=60, length=max(len(last), len(first)))
        if not last:
            column = self.column.get("full_name") or self.column.get("last_name", "")
            row.add("full_name" if "full_name" in self.index else "last_name", column, "required")
        v["last_name"], v["first_name"] = last, first
        v["person_key"] = normalize.person_key(last, first) if last else ""
        v["department"] = self._text(row, cells, "department")
        v["title"] = self._text(row, cells, "title")

        raw_email = self._get(cells, "email")
        v["email"] = normalize.email(raw_email)
        if v["email"]:
            try:
                self.email_validator(v["email"])
            except ValidationError:
                row.add("email", self.column["email"], "invalid_email", value=raw_email)
            if len(v["email"]) > 254:
                row.add("email", self.column["email"], "too_long", max=254, length=len(v["email"]))

        raw_phone = self._get(cells, "phone")
        v["phone"] = normalize.phone(raw_phone)
        v["phone_key"] = normalize.phone_key(raw_phone)
        if v["phone"] and not normalize.phone_is_valid(v["phone_key"]):
            row.add("phone", self.column["phone"], "invalid_phone", value=raw_phone)
            v["phone_key"] = ""
        elif len(v["phone"]) > 30:
            row.add("phone", self.column["phone"], "too_long", max=30, length=len(v["phone"]))

        v["prefecture"] = ""
        raw_prefecture = self._get(cells, "prefecture")
        if raw_prefecture:
            code = normalize.prefecture_code(raw_prefecture)
            if code is None:
                row.add("prefecture", self.column["prefecture"], "unknown_prefecture", value=raw_prefecture)
            v["prefecture"] = code or ""
        if not v["prefecture"]:
            v["prefecture"] = normalize.address_prefecture(self._get(cells, "address")) or ""

        v["industry_id"] = None
        raw_industry = self._get(cells, "industry")
        if raw_industry:
            industry = self.picklists.industries.get(normalize.picklist_key(raw_industry))
            if industry is None:
                row.add(
                    "industry",
                    self.column["industry"],
                    "unknown_industry",
                    value=raw_industry,
                    allowed=self.picklists.industry_allowed,
                )
            else:
                v["industry_id"] = industry.pk

        v["employee_count"] = None
        raw_count = self._get(cells, "employee_count")
        if raw_count:
            number = normalize.count(raw_count)
            if not number:
                row.add("employee_count", self.column["employee_count"], "invalid_count", value=raw_count)
            v["employee_count"] = number or None

        raw_site = self._get(cells, "website")
        v["website"] = normalize.website(raw_site)
        if v["website"]:
            try:
                self.url_validator(v["website"])
            except ValidationError:
                row.add("website", self.column["website"], "invalid_url", value=raw_site)
            if len(v["website"]) > 200:
                row.add("website", self.column["website"], "too_long", max=200, length=len(v["website"]))

        source = self.source
        raw_source = self._get(cells, "source")
        if raw_source:
            found = self.picklists.sources.get(normalize.picklist_key(raw_source))
            if found is None:
                row.add(
                    "source",
                    self.column["source"],
                    "unknown_source",
                    value=raw_source,
                    allowed=self.picklists.source_allowed,
                )
            else:
                source = found
        v["source_id"] = source.pk
        v["origin"] = self.origin or origin_for(source)

        v["campaign_id"] = None
        raw_campaign = self._get(cells, "campaign")
        if raw_campaign:
            campaign = self.picklists.campaigns.get(normalize.picklist_key(raw_campaign))
            if campaign is None:
                row.add(
                    "campaign",
                    self.column["campaign"],
                    "unknown_campaign",
                    value=raw_campaign,
                    allowed=self.picklists.campaign_allowed,
                )
            elif campaign.source_id != source.pk:
                row.add(
                    "campaign",
                    self.column["campaign"],
                    "campaign_source",
                    value=raw_campaign,
                    campaign_source=campaign.source.code,
                    source=source.code,
                )
            else:
                v["campaign_id"] = campaign.pk
        return row

    def check(self, rows: list[list], progress=None) -> Report:
        """Every row, then duplicates (``dedupe``)."""
        return self.dedupe(self.check_rows(rows, progress))

    def check_rows(self, rows: list[list], progress=None) -> list[RowResult]:
        """Every row on its own: formats, required fields, picklists."""
        results = []
        for i, (number, cells) in enumerate(rows, start=1):
            results.append(self.check_row(number, cells))
            if progress and i % 5000 == 0:
                progress(i)
        return results

    def dedupe(self, results: list[RowResult]) -> Report:
        """A row is a duplicate of an existing lead with the same email, the same phone and name, or the
        same name at the same company; and of an earlier valid row of the file by the same rules. A phone
        alone is no proof: half of Japanese lists give the switchboard."""
        existing = _ExistingLeads.load(results)
        seen_email: dict[str, int] = {}
        seen_phone: dict[tuple[str, str], int] = {}
        seen_name: dict[tuple[str, str], int] = {}
        email_col = self.column.get("email", "")
        phone_col = self.column.get("phone", "")
        for row in results:
            v = row.values
            email, phone, person, company = v["email"], v["phone_key"], v["person_key"], v["company_key"]
            invalid_email = any(e["field"] == "email" for e in row.errors)
            if email and not invalid_email and email in existing.by_email:
                row.add("email", email_col, "duplicate_email", value=email, lead=existing.by_email[email])
            elif phone and person and (phone, person) in existing.by_phone:
                lead = existing.by_phone[(phone, person)]
                row.add("phone", phone_col, "duplicate_phone", value=v["phone"], lead=lead[0], name=lead[1])
            elif company and person and (company, person) in existing.by_name:
                lead = existing.by_name[(company, person)]
                row.add("", "", "duplicate_name", lead=lead[0], name=lead[1], company=lead[2])
            if row.errors:
                continue
            if email and email in seen_email:
                row.add("email", email_col, "duplicate_row_email", value=email, row=seen_email[email])
            elif phone and (phone, person) in seen_phone:
                row.add("phone", phone_col, "duplicate_row_phone", value=v["phone"], row=seen_phone[(phone, person)])
            elif (company, person) in seen_name:
                row.add("", "", "duplicate_row_name", row=seen_name[(company, person)])
            else:
                if email:
                    seen_email[email] = row.number
                if phone:
                    seen_phone[(phone, person)] = row.number
                seen_name[(company, person)] = row.number
        valid = [r for r in results if not r.errors]
        invalid = [r for r in results if r.errors]
        return Report(results=results, valid=valid, invalid=invalid, companies=existing.companies)


# What ``check_row`` reads from a row, in the order ImportJob.checked stores it.
VALUE_KEYS = (
    "company_name",
    "company_key",
    "last_name",
    "first_name",
    "person_key",
    "department",
    "title",
    "email",
    "phone",
    "phone_key",
    "prefecture",
    "industry_id",
    "employee_count",
    "website",
    "source_id",
    "origin",
    "campaign_id",
)


def pack(results: list[RowResult]) -> list[list]:
    """The rows without errors of their own, as ImportJob.checked keeps them."""
    return [[r.number, [r.values[key] for key in VALUE_KEYS]] for r in results if not r.errors]


def unpack(checked: list[list], cells: dict[int, list[str]]) -> list[RowResult]:
    keys = VALUE_KEYS
    return [
        RowResult(number, cells.get(number, []), dict(zip(keys, values, strict=True)), []) for number, values in checked
    ]


def _chunks(values):
    values = sorted(values)
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


@dataclass
class _ExistingLeads:
    by_email: dict[str, int]
    by_phone: dict[tuple[str, str], tuple[int, str]]
    by_name: dict[tuple[str, str], tuple[int, str, str]]
    companies: dict[str, int]

    @classmethod
    def load(cls, results: list[RowResult]) -> "_ExistingLeads":
        """The leads and companies the file's rows could duplicate, in a few indexed queries per 10,000 keys."""
        emails = {r.values["email"] for r in results if r.values.get("email")}
        phones = {r.values["phone_key"] for r in results if r.values.get("phone_key")}
        company_keys = {r.values["company_key"] for r in results if r.values.get("company_key")}
        by_email: dict[str, int] = {}
        for chunk in _chunks(emails):
            for pk, email in Lead.objects.filter(email__any=chunk).order_by("pk").values_list("pk", "email"):
                by_email.setdefault(email, pk)
        by_phone: dict[tuple[str, str], tuple[int, str]] = {}
        for chunk in _chunks(phones):
            rows = Lead.objects.filter(phone_key__any=chunk).order_by("pk")
            for pk, key, last, first in rows.values_list("pk", "phone_key", "last_name", "first_name"):
                by_phone.setdefault((key, normalize.person_key(last, first)), (pk, f"{last} {first}".strip()))
        companies: dict[str, int] = {}
        key_of_company: dict[int, str] = {}
        for chunk in _chunks(company_keys):
            for pk, key in Company.objects.filter(name_key__any=chunk).order_by("pk").values_list("pk", "name_key"):
                companies.setdefault(key, pk)
                key_of_company[pk] = key
        by_name: dict[tuple[str, str], tuple[int, str, str]] = {}
        for chunk in _chunks(key_of_company):
            rows = Lead.objects.filter(company__id__any=chunk).order_by("pk")
            for pk, company_id, last, first, company_name in rows.values_list(
                "pk", "company_id", "last_name", "first_name", "company__name"
            ):
                key = (key_of_company[company_id], normalize.person_key(last, first))
                by_name.setdefault(key, (pk, f"{last} {first}".strip(), company_name))
        return cls(by_email=by_email, by_phone=by_phone, by_name=by_name, companies=companies)


def write_error_report(stream, job) -> None:
    """One CSV line per row not imported: its spreadsheet row number, its cells as uploaded, and every
    reason in the reader's language."""
    writer = SafeWriter(stream)
    writer.writerow([str(_("Row")), *job.headers, str(_("Errors"))])
    width = len(job.headers)
    for entry in job.report:
        cells = (entry["cells"] + [""] * width)[:width]
        writer.writerow([entry["row"], *cells, " / ".join(error_message(error) for error in entry["errors"])])
