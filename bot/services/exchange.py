"""Import and export of initiatives and events: all or nothing, every problem reported by line and field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.errors import DomainError
from bot.domain.exchange import ParsedFile, Problem, duplicates
from bot.domain.specs import EventSpec, InitiativeSpec, same, spec_of
from bot.ports import UnitOfWork, UnitOfWorkFactory, long_reads


class ImportRejected(DomainError):
    """The file has problems; nothing was imported."""

    message_id = "import.rejected"

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(count=len(problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import changed."""

    created: int
    updated: int
    unchanged: int
    events_created: int
    events_updated: int


async def import_records(
    uow_factory: UnitOfWorkFactory, parsed: ParsedFile, now: dt.datetime
) -> ImportReport:
    """Check every reference, then save everything in one transaction, or nothing."""
    async with uow_factory() as uow:
        problems = [*parsed.problems, *duplicates(parsed), *await _unknown_references(uow, parsed)]
        if problems:
            raise ImportRejected(sorted(problems, key=lambda p: p.line))
        created = updated = unchanged = 0
        created_refs: list[str] = []
        for _line, spec in parsed.initiatives:
            existing = await uow.initiatives.by_ref(spec.ref)
            if existing is not None and same(existing, spec):
                unchanged += 1
                continue
            await uow.initiatives.save(spec, now, existing.id if existing else None)
            if existing is None:
                created_refs.append(spec.ref)
            created, updated = (created + 1, updated) if existing is None else (created, updated + 1)
        events_new = [await uow.events.save(spec) for _line, spec in parsed.events]
        report = ImportReport(
            created,
            updated,
            unchanged,
            sum(1 for _, new in events_new if new),
            sum(1 for _, new in events_new if not new),
        )
        await uow.audit.append(
            at=now,
            actor_id=None,
            action="initiatives.imported",
            subject="import",
            details={**_counts(report), "created_refs": created_refs[:500]},
        )
        await uow.commit()
    return report


def _counts(report: ImportReport) -> dict[str, object]:
    return {name: getattr(report, name) for name in report.__slots__}


async def _unknown_references(uow: UnitOfWork, parsed: ParsedFile) -> list[Problem]:
    countries = {c.code for c in await uow.catalog.countries()}
    regions = {r.key for r in await uow.catalog.regions()}
    partners = set(await uow.catalog.organisation_names())
    instruments = set(await uow.catalog.instrument_names())
    known = {"countries": countries, "regions": regions, "partners": partners, "instruments": instruments}
    problems = []
    for line, spec in parsed.initiatives:
        for name, allowed in known.items():
            missing = [v for v in getattr(spec, name) if v not in allowed]
            if missing:
                problems.append(Problem(line, name, f"unknown: {', '.join(missing)}"))
    refs_in_file = {spec.ref for _, spec in parsed.initiatives}
    for line, event in parsed.events:
        if event.country_code and event.country_code not in countries:
            problems.append(Problem(line, "country", f"unknown: {event.country_code}"))
        ref = (event.initiative_ref or "").upper()
        if ref and ref not in refs_in_file and await uow.initiatives.by_ref(ref) is None:
            problems.append(Problem(line, "initiative", f"unknown reference: {ref}"))
    return problems


@long_reads
async def export_records(uow_factory: UnitOfWorkFactory) -> tuple[list[InitiativeSpec], list[EventSpec]]:
    """Every initiative and event, as specs that import back unchanged."""
    async with uow_factory(read_only=True) as uow:
        initiatives = [spec_of(i) for i in await uow.initiatives.all()]
        events = [
            EventSpec(
                title=e.title,
                kind=e.kind,
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                country_code=e.country_code,
                initiative_ref=e.initiative_ref,
                location=e.location,
                notes=e.notes,
            )
            for e in await uow.events.all()
        ]
    return initiatives, events
