"""The record of the working party's exchange over a period, for the Council's archive.

An open format: a zip holding, for each section (updates, notices, events, consultation rounds, and
whatever the exchange gains later), a JSON document of its records (which may nest, like an
update's edit history) and one or more flat CSV tables; a `manifest.json` that describes the period,
the sections, their counts and every file's SHA-256; and a `SHA256SUMS` file (`sha256sum -c` reads it)
over every other file. `read_archive` checks all of it, so an archive can be verified years later.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from zoneinfo import ZoneInfo

ARCHIVE_FORMAT = "emwp-archive/1"
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
LIST_SEPARATOR = "; "

Record = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Period:
    """Whole days from `start` to `end` inclusive, in the working party's time zone."""

    start: dt.date
    end: dt.date
    zone: str = "Europe/Brussels"

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in the zone, as UTC instants."""
        zone = ZoneInfo(self.zone)
        first = dt.datetime.combine(self.start, dt.time(), zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone)
        return first.astimezone(dt.UTC), after.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Table:
    """A flat view of a section, written as `<name>.csv`."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class Section:
    """One kind of record: its JSON document `<name>.json` and its CSV tables."""

    name: str
    description: str
    records: tuple[Record, ...]
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True, slots=True)
class ArchiveContents:
    """An archive read back and verified."""

    manifest: dict[str, Any]
    documents: dict[str, list[dict[str, Any]]]
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)


class ArchiveInvalid(Exception):
    """The archive does not match its manifest or its checksums."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def write_archive(
    target: IO[bytes], period: Period, sections: Sequence[Section], generated_at: dt.datetime, generator: str
) -> dict[str, Any]:
    """Write the zip to `target`; return its manifest."""
    files: dict[str, bytes] = {}
    described = []
    for section in sections:
        files[f"{section.name}.json"] = _json([dict(r) for r in section.records])
        for table in section.tables:
            files[f"{table.name}.csv"] = _csv(table)
        described.append(
            {
                "name": section.name,
                "description": section.description,
                "records": len(section.records),
                "document": f"{section.name}.json",
                "tables": [
                    {"file": f"{t.name}.csv", "rows": len(t.rows), "columns": list(t.columns)}
                    for t in section.tables
                ],
            }
        )
    start, end = period.bounds()
    manifest = {
        "format": ARCHIVE_FORMAT,
        "generator": generator,
        "generated_at": generated_at.astimezone(dt.UTC).isoformat(),
        "period": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "time_zone": period.zone,
            "start_utc": start.isoformat(),
            "end_utc": end.isoformat(),
        },
        "sections": described,
        "files": {name: {"sha256": _sha(data), "bytes": len(data)} for name, data in files.items()},
    }
    files[MANIFEST] = _json(manifest)
    sums = "".join(f"{_sha(data)}  {name}\n" for name, data in sorted(files.items()))
    files[CHECKSUMS] = sums.encode("ascii")
    stamp = generated_at.astimezone(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in [MANIFEST, *sorted(n for n in files if n not in (MANIFEST, CHECKSUMS)), CHECKSUMS]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return manifest


def read_archive(source: IO[bytes]) -> ArchiveContents:
    """Read an archive back, checking every checksum and every count; ArchiveInvalid lists what is wrong."""
    try:
        with zipfile.ZipFile(source) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    except zipfile.BadZipFile as exc:
        raise ArchiveInvalid([f"not a zip file: {exc}"]) from None
    problems = _checksum_problems(files)
    try:
        manifest = json.loads(files[MANIFEST])
    except (KeyError, ValueError) as exc:
        raise ArchiveInvalid([*problems, f"{MANIFEST} unreadable: {exc}"]) from None
    for name, expected in manifest.get("files", {}).items():
        if name not in files:
            problems.append(f"{name} is missing")
        elif _sha(files[name]) != expected.get("sha256"):
            problems.append(f"{name} does not match the manifest's checksum")
    documents: dict[str, list[dict[str, Any]]] = {}
    tables: dict[str, list[dict[str, str]]] = {}
    for section in manifest.get("sections", []):
        records = json.loads(files.get(section["document"], b"[]"))
        documents[section["name"]] = records
        if len(records) != section["records"]:
            problems.append(
                f"{section['document']}: {len(records)} records, manifest says {section['records']}"
            )
        for table in section["tables"]:
            text = files.get(table["file"], b"").decode("utf-8")
            rows = list(csv.DictReader(io.StringIO(text, newline="")))
            tables[table["file"]] = rows
            if len(rows) != table["rows"]:
                problems.append(f"{table['file']}: {len(rows)} rows, manifest says {table['rows']}")
    if problems:
        raise ArchiveInvalid(problems)
    return ArchiveContents(manifest, documents, tables)


def _checksum_problems(files: Mapping[str, bytes]) -> list[str]:
    if CHECKSUMS not in files:
        return [f"{CHECKSUMS} is missing"]
    problems = []
    listed = set()
    for line in files[CHECKSUMS].decode("ascii", "replace").splitlines():
        digest, _, name = line.partition("  ")
        listed.add(name)
        if name not in files:
            problems.append(f"{name} is listed in {CHECKSUMS} but missing")
        elif _sha(files[name]) != digest:
            problems.append(f"{name} does not match its checksum")
    problems += [f"{name} is not in {CHECKSUMS}" for name in files if name not in listed | {CHECKSUMS}]
    return problems


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json(value: object) -> bytes:
    return json.dumps(value, default=_plain, ensure_ascii=False, indent=1).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot archive a {type(value).__name__}")


def _csv(table: Table) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=table.columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in table.rows:
        writer.writerow({column: cell(row.get(column)) for column in table.columns})
    return out.getvalue().encode("utf-8")


def cell(value: object) -> str:
    """A value as a CSV cell: dates in ISO 8601 (UTC), lists joined with '; ', nothing as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return str(_plain(value))
    if isinstance(value, list | tuple | set | frozenset):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)
