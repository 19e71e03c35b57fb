"""Initiatives and events in files (YAML or CSV): parsed and validated with line and field for each error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from bot.domain.drafts import check_period
from bot.domain.errors import InvalidInput
from bot.domain.seed import COUNTRY_PATTERN, REF_PATTERN
from bot.domain.specs import EventSpec, InitiativeSpec
from bot.domain.vocab import EventKind, InitiativeStatus, InitiativeType

LIST_FIELDS = ("countries", "regions", "partners", "instruments")
INITIATIVE_COLUMNS = (
    "ref",
    "title",
    "type",
    "status",
    *LIST_FIELDS,
    "lead",
    "funding",
    "year",
    "start_date",
    "end_date",
    "source_url",
    "notes",
)
EVENT_COLUMNS = ("title", "kind", "starts_at", "ends_at", "country", "initiative", "location", "notes")
MAX_IMPORT_BYTES = 10 * 1024 * 1024  # an import file larger than this is refused before it is read
# A CSV cell a spreadsheet would run as a formula starts with one of these (OWASP's "CSV injection"):
# the export writes a leading ' before it, and before any ' already leading one, so that reading back
# removes exactly one and every value comes back as it was.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the file: where, which field, what."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass
class ParsedFile:
    """The valid records with their lines, and every problem found."""

    initiatives: list[tuple[int, InitiativeSpec]] = field(default_factory=list)
    events: list[tuple[int, EventSpec]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# Lengths of an initiative's free-text fields, wherever they are written (file, chat): what one accepts
# the other imports back.
TEXT_LIMITS = {"title": (3, 300), "lead": (1, 500), "notes": (1, 4000)}


class InitiativeRecord(BaseModel):
    """An initiative as a file holds it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    ref: str = Field(max_length=32)
    title: str = Field(min_length=TEXT_LIMITS["title"][0], max_length=TEXT_LIMITS["title"][1])
    type: InitiativeType
    status: InitiativeStatus = InitiativeStatus.ACTIVE
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    lead: str | None = Field(default=None, max_length=TEXT_LIMITS["lead"][1])
    funding: str | None = Field(default=None, max_length=1000)
    year: int | None = Field(default=None, ge=1950, le=2100)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    source_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://\S+$")
    notes: str | None = Field(default=None, max_length=TEXT_LIMITS["notes"][1])

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        value = value.upper()
        if not REF_PATTERN.match(value):
            raise ValueError("upper-case letters and digits joined by '-', like MP-MA-2013")
        return value

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(c.upper() for c in value)
        bad = [c for c in codes if not COUNTRY_PATTERN.match(c)]
        if bad:
            raise ValueError(f"not two-letter ISO codes: {', '.join(bad)}")
        return codes

    @field_validator("end_date")
    @classmethod
    def _period(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        try:
            check_period(info.data.get("start_date"), value)
        except InvalidInput:
            raise ValueError(f"must not be before start_date ({info.data['start_date']})") from None
        return value

    def spec(self) -> InitiativeSpec:
        """As the domain's spec."""
        return InitiativeSpec(**self.model_dump())


class EventRecord(BaseModel):
    """An event as a file holds it; times without an offset are in `default_zone`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=3, max_length=300)
    kind: EventKind = EventKind.MEETING
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    country: str | None = Field(default=None, pattern=COUNTRY_PATTERN.pattern)
    initiative: str | None = Field(default=None, max_length=32)
    location: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=2000)

    def spec(self, zone: dt.tzinfo) -> EventSpec:
        """As the domain's spec, times made aware."""

        def aware(value: dt.datetime | None) -> dt.datetime | None:
            if value is None:
                return None
            local = value.replace(tzinfo=zone) if value.tzinfo is None else value
            return local.astimezone(dt.UTC)  # the store keeps UTC

        starts = aware(self.starts_at)
        assert starts is not None
        return EventSpec(
            title=self.title,
            kind=self.kind,
            starts_at=starts,
            ends_at=aware(self.ends_at),
            country_code=self.country,
            initiative_ref=self.initiative,
            location=self.location,
            notes=self.notes,
        )


class _Loader(yaml.SafeLoader):
    """Safe YAML without implicit dates: pydantic parses them, so a bad date is a reported problem."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(text: str, name: str, zone: dt.tzinfo) -> ParsedFile:
    """YAML (`initiatives:` and `events:` lists) or CSV (initiative or event columns), by file name."""
    if name.lower().endswith(".csv"):
        return _parse_csv(text, zone)
    return _parse_yaml(text, zone)


def _parse_yaml(text: str, zone: dt.tzinfo) -> ParsedFile:
    parsed = ParsedFile()
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        parsed.problems.append(Problem((mark.line + 1) if mark else 1, "file", f"not valid YAML: {exc}"))
        return parsed
    if not isinstance(data, dict) or not set(data) <= {"initiatives", "events"}:
        parsed.problems.append(
            Problem(1, "file", "expected a mapping with 'initiatives' and/or 'events' lists")
        )
        return parsed
    for key, items in data.items():
        node = next(v for k, v in root.value if k.value == key) if root is not None else None
        lines = [n.start_mark.line + 1 for n in node.value] if isinstance(node, yaml.SequenceNode) else []
        if not isinstance(items, list):
            parsed.problems.append(Problem(node.start_mark.line + 1 if node else 1, key, "expected a list"))
            continue
        for line, item in zip(lines, items, strict=True):
            _add(parsed, key, line, item, zone)
    return parsed


def _parse_csv(text: str, zone: dt.tzinfo) -> ParsedFile:
    parsed = ParsedFile()
    reader = csv.DictReader(io.StringIO(text))
    columns = tuple(reader.fieldnames or ())
    key = "events" if "starts_at" in columns else "initiatives"
    allowed = EVENT_COLUMNS if key == "events" else INITIATIVE_COLUMNS
    unknown = [c for c in columns if c not in allowed]
    if not columns or unknown:
        parsed.problems.append(
            Problem(1, "header", f"unknown columns {unknown}; expected {', '.join(allowed)}")
        )
        return parsed
    for row in _rows(reader):
        line, values = row
        item: dict[str, Any] = {
            k: restored(v) if isinstance(v, str) else v for k, v in values.items() if v not in (None, "")
        }
        for list_field in LIST_FIELDS:
            if list_field in item:
                item[list_field] = [p.strip() for p in str(item[list_field]).split(";") if p.strip()]
        _add(parsed, key, line, item, zone)
    return parsed


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Each record with the line it starts on (a quoted cell may span lines)."""
    while True:
        start = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        yield start, values


def _add(parsed: ParsedFile, key: str, line: int, item: object, zone: dt.tzinfo) -> None:
    if not isinstance(item, dict):
        parsed.problems.append(Problem(line, key, "expected a mapping of fields"))
        return
    try:
        if key == "initiatives":
            parsed.initiatives.append((line, InitiativeRecord.model_validate(item).spec()))
        else:
            parsed.events.append((line, EventRecord.model_validate(item).spec(zone)))
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or key
            parsed.problems.append(Problem(line, where, str(error["msg"]).removeprefix("Value error, ")))


def duplicates(parsed: ParsedFile) -> list[Problem]:
    """The same reference twice in one file."""
    seen: dict[str, int] = {}
    problems = []
    for line, spec in parsed.initiatives:
        if spec.ref in seen:
            problems.append(Problem(line, "ref", f"{spec.ref} already appears on line {seen[spec.ref]}"))
        seen.setdefault(spec.ref, line)
    return problems


def initiative_rows(specs: Sequence[InitiativeSpec]) -> list[dict[str, object]]:
    """Initiatives as plain records for export (lists kept as lists)."""
    rows = []
    for spec in specs:
        record = {name: getattr(spec, name) for name in INITIATIVE_COLUMNS}
        record["type"], record["status"] = spec.type.value, spec.status.value
        rows.append(
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in record.items() if v not in (None, ())}
        )
    return rows


def event_rows(specs: Sequence[EventSpec]) -> list[dict[str, object]]:
    """Events as plain records for export."""
    rows = []
    for spec in specs:
        record: dict[str, object] = {
            "title": spec.title,
            "kind": spec.kind.value,
            "starts_at": spec.starts_at,
            "ends_at": spec.ends_at,
            "country": spec.country_code,
            "initiative": spec.initiative_ref,
            "location": spec.location,
            "notes": spec.notes,
        }
        rows.append({k: v for k, v in record.items() if v is not None})
    return rows


def to_yaml(initiatives: list[dict[str, object]], events: list[dict[str, object]]) -> str:
    """The YAML export."""
    return yaml.safe_dump(
        {"initiatives": initiatives, "events": events}, allow_unicode=True, sort_keys=False, width=110
    )


def to_csv(rows: list[dict[str, object]], columns: Sequence[str]) -> str:
    """The CSV export; lists joined with ';'; a cell a spreadsheet would run as a formula neutralised."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        cells = {k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        writer.writerow({k: neutralised(str(v)) if v is not None else v for k, v in cells.items()})
    return out.getvalue()


def neutralised(cell: str) -> str:
    """'=SUM(A1)' → "'=SUM(A1)": shown as text by spreadsheets, never run; other cells unchanged."""
    return "'" + cell if _FORMULA.match(cell) else cell


def restored(cell: str) -> str:
    """The inverse of `neutralised`: exactly the one ' it added is removed."""
    return cell[1:] if _NEUTRALISED.match(cell) else cell
