"""What an initiative and an event are made of (specs), how initiatives are filtered, and comparing them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bot.domain.model import Initiative
from bot.domain.vocab import EventKind, InitiativeStatus, InitiativeType


@dataclass(frozen=True, slots=True)
class InitiativeFilter:
    """What /initiatives narrows to; all given parts must match."""

    country: str | None = None
    region: str | None = None
    type: InitiativeType | None = None
    status: InitiativeStatus | None = None

    @property
    def empty(self) -> bool:
        """No filter at all."""
        return not (self.country or self.region or self.type or self.status)


@dataclass(frozen=True, slots=True)
class InitiativeSpec:
    """Everything an initiative holds, as typed, imported or edited; validated before it gets here."""

    ref: str
    title: str
    type: InitiativeType
    status: InitiativeStatus
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    lead: str | None = None
    partners: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    funding: str | None = None
    year: int | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    source_url: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event as imported: identified by title and start."""

    title: str
    kind: EventKind
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    country_code: str | None = None
    initiative_ref: str | None = None
    location: str | None = None
    notes: str | None = None


def spec_of(initiative: Initiative) -> InitiativeSpec:
    """The spec an initiative was saved from (links as stored)."""
    return InitiativeSpec(
        ref=initiative.ref,
        title=initiative.title,
        type=initiative.type,
        status=initiative.status,
        countries=initiative.countries,
        regions=initiative.regions,
        lead=initiative.lead,
        partners=initiative.partners,
        instruments=initiative.instruments,
        funding=initiative.funding,
        year=initiative.year,
        start_date=initiative.start_date,
        end_date=initiative.end_date,
        source_url=initiative.source_url,
        notes=initiative.notes,
    )


def same(initiative: Initiative, spec: InitiativeSpec) -> bool:
    """Whether saving `spec` would change nothing (link order does not matter)."""
    mine = spec_of(initiative)
    links = ("countries", "regions", "partners", "instruments")
    if any(set(getattr(mine, name)) != set(getattr(spec, name)) for name in links):
        return False

    def bare(value: InitiativeSpec) -> InitiativeSpec:
        return replace(value, countries=(), regions=(), partners=(), instruments=())

    return bare(mine) == bare(spec)
