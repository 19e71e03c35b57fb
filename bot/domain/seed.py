"""The shape of the seed data file that a new install starts with, validated with pydantic."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.vocab import DelegationKind, InitiativeStatus, InitiativeType

REF_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SeedDelegation(_Frozen):
    """A delegation: member state by EU code, institution or observer body."""

    code: str = Field(pattern=r"^[A-Z][A-Z-]{1,15}$")
    name: str = Field(min_length=2, max_length=200)
    kind: DelegationKind


class SeedRegion(_Frozen):
    """A grouping of third countries used by EU external migration policy."""

    key: str = Field(pattern=KEY_PATTERN.pattern, max_length=64)
    name: str = Field(min_length=2, max_length=200)
    countries: tuple[str, ...]
    source_url: str | None = None
    notes: str | None = None

    @field_validator("countries")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_codes(value)


class SeedOrganisation(_Frozen):
    """An international organisation that partners initiatives (IOM, UNHCR, ICMPD…)."""

    key: str = Field(min_length=2, max_length=32)
    name: str = Field(min_length=2, max_length=200)
    source_url: str | None = None
    notes: str | None = None


class SeedInstrument(_Frozen):
    """An EU financing instrument (NDICI-Global Europe, EUTF for Africa…)."""

    key: str = Field(pattern=KEY_PATTERN.pattern, max_length=64)
    short_name: str = Field(min_length=2, max_length=64)
    name: str = Field(min_length=2, max_length=300)
    period: str | None = None
    source_url: str | None = None
    notes: str | None = None


class SeedInitiative(_Frozen):
    """An action plan, partnership, dialogue, strategy, road map, agreement or programme."""

    ref: str = Field(max_length=32)
    key: str = Field(pattern=KEY_PATTERN.pattern, max_length=64)
    title: str = Field(min_length=3, max_length=300)
    type: InitiativeType
    status: InitiativeStatus
    countries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    lead: str | None = Field(default=None, max_length=500)
    partners: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    funding: str | None = Field(default=None, max_length=1000)
    year: int | None = Field(default=None, ge=1950, le=2100)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    source_url: str | None = None
    notes: str | None = Field(default=None, max_length=2000)

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        if not REF_PATTERN.match(value):
            raise ValueError("a reference is upper-case letters and digits joined by '-'")
        return value

    @field_validator("countries")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_codes(value)


class SeedData(_Frozen):
    """The whole seed file; cross-references are checked on load."""

    version: int = Field(ge=1, le=1)
    delegations: tuple[SeedDelegation, ...]
    regions: tuple[SeedRegion, ...]
    organisations: tuple[SeedOrganisation, ...]
    instruments: tuple[SeedInstrument, ...]
    initiatives: tuple[SeedInitiative, ...]

    @model_validator(mode="after")
    def _cross_references(self) -> SeedData:
        _unique("delegation code", [d.code for d in self.delegations])
        _unique("region key", [r.key for r in self.regions])
        _unique("organisation key", [o.key for o in self.organisations])
        _unique("instrument key", [i.key for i in self.instruments])
        _unique("initiative ref", [i.ref for i in self.initiatives])
        _unique("initiative key", [i.key for i in self.initiatives])
        regions = {r.key for r in self.regions}
        orgs = {o.key for o in self.organisations}
        instruments = {i.key for i in self.instruments}
        for ini in self.initiatives:
            _known(ini.ref, "region", ini.regions, regions)
            _known(ini.ref, "partner", ini.partners, orgs)
            _known(ini.ref, "instrument", ini.instruments, instruments)
        return self


def _check_codes(value: tuple[str, ...]) -> tuple[str, ...]:
    bad = [c for c in value if not COUNTRY_PATTERN.match(c)]
    if bad:
        raise ValueError(f"not ISO 3166-1 alpha-2 codes: {', '.join(bad)}")
    return value


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    dupes = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(dupes)}")


def _known(ref: str, what: str, used: tuple[str, ...], known: set[str]) -> None:
    missing = [u for u in used if u not in known]
    if missing:
        raise ValueError(f"initiative {ref}: unknown {what} {', '.join(missing)}")
