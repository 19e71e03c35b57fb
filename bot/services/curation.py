"""Admins create and edit initiatives in the chat; every change is audited."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.domain.drafts import check_period, check_ref, check_text, check_url, parse_date, suggest_ref
from bot.domain.errors import Conflict, InvalidInput, NotFound
from bot.domain.exchange import TEXT_LIMITS
from bot.domain.model import Initiative
from bot.domain.specs import InitiativeSpec, spec_of
from bot.domain.typed import check_typed
from bot.domain.vocab import InitiativeStatus, InitiativeType
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_admin
from bot.services.browse import DIRECTORY

EDITABLE = (
    "title",
    "type",
    "status",
    "countries",
    "regions",
    "lead",
    "start_date",
    "end_date",
    "source_url",
    "notes",
)


async def authorize_curator(uow_factory: UnitOfWorkFactory, actor: Actor) -> None:
    """Only admins curate initiatives."""
    async with uow_factory(read_only=True) as uow:
        await require_admin(uow, actor)


async def resolve_countries(uow_factory: UnitOfWorkFactory, text: str) -> tuple[str, ...]:
    """'Morocco, Tunisie, EG' → ('MA', 'TN', 'EG'); each name must be found unambiguously."""
    names = [n.strip() for n in check_typed(text).replace(";", ",").split(",") if n.strip()]
    if not names or len(names) > 60:
        raise InvalidInput("draft.bad_countries")
    async with uow_factory(read_only=True) as uow:
        index = await DIRECTORY.index(uow)
    codes: list[str] = []
    for name in names:
        match = index.find(name)
        if match.country is None:
            raise InvalidInput("draft.unknown_country", name=name[:40])
        codes.append(match.country.code)
    return tuple(dict.fromkeys(codes))


async def available_ref(
    uow_factory: UnitOfWorkFactory, kind: InitiativeType, countries: tuple[str, ...], year: int
) -> str:
    """A suggested reference not yet taken."""
    base = suggest_ref(kind, countries, year)
    async with uow_factory(read_only=True) as uow:
        for n in range(1, 100):
            candidate = base if n == 1 else f"{base}-{n}"
            if await uow.initiatives.by_ref(candidate) is None:
                return candidate
    raise Conflict("draft.ref_taken", ref=base)


async def ensure_ref_free(uow_factory: UnitOfWorkFactory, ref: str) -> str:
    """The reference, well formed and not used by another initiative."""
    checked = check_ref(ref)
    async with uow_factory(read_only=True) as uow:
        if await uow.initiatives.by_ref(checked) is not None:
            raise Conflict("draft.ref_taken", ref=checked)
    return checked


async def create_initiative(
    uow_factory: UnitOfWorkFactory, actor: Actor, spec: InitiativeSpec, now: dt.datetime
) -> Initiative:
    """Store a new initiative (admins only); its reference must be free."""
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        if await uow.initiatives.by_ref(spec.ref) is not None:
            raise Conflict("draft.ref_taken", ref=spec.ref)
        created = await _save(uow, spec, now, None)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="initiative.created",
            subject=spec.ref,
            details={"title": spec.title},
        )
        await uow.commit()
    return created


async def edit_initiative(
    uow_factory: UnitOfWorkFactory, actor: Actor, initiative_id: int, field: str, value: str, now: dt.datetime
) -> Initiative:
    """Change one field (admins only); the value is checked as for a new initiative."""
    if field not in EDITABLE:
        raise InvalidInput("error.stale")
    parsed = await _parse(uow_factory, field, value, now.date())
    async with uow_factory() as uow:
        admin = await require_admin(uow, actor)
        current = await uow.initiatives.by_id(initiative_id)
        if current is None:
            raise NotFound()
        spec = dataclasses.replace(spec_of(current), **{field: parsed})  # type: ignore[arg-type]  # checked by _parse
        saved = await _save(uow, spec, now, initiative_id)
        await uow.audit.append(
            at=now,
            actor_id=admin.id,
            action="initiative.edited",
            subject=current.ref,
            details={"field": field, "value": str(parsed)[:200]},
        )
        await uow.commit()
    return saved


async def _parse(uow_factory: UnitOfWorkFactory, field: str, value: str, today: dt.date) -> object:
    text = check_typed(value, lines=field == "notes").strip()
    if field == "title":
        return check_text(text, "title", *TEXT_LIMITS["title"])
    if field in ("lead", "notes"):
        return check_text(text, field, *TEXT_LIMITS[field]) if text != "-" else None
    if field == "type":
        return _enum(InitiativeType, text)
    if field == "status":
        return _enum(InitiativeStatus, text)
    if field == "countries":
        return () if text == "-" else await resolve_countries(uow_factory, text)
    if field == "regions":
        return tuple(k for k in text.split(",") if k) if text != "-" else ()
    if field in ("start_date", "end_date"):
        return None if text == "-" else parse_date(text, today)
    return None if text == "-" else check_url(text)


def _enum(kind: type[InitiativeType] | type[InitiativeStatus], value: str) -> object:
    try:
        return kind(value)
    except ValueError:
        raise InvalidInput("error.stale") from None


async def _save(
    uow: UnitOfWork, spec: InitiativeSpec, now: dt.datetime, initiative_id: int | None
) -> Initiative:
    """Every field checked here, whichever flow or button built the spec: what the chat accepts, a file
    imports back."""
    check_ref(spec.ref)
    check_text(spec.title, "title", *TEXT_LIMITS["title"])
    for name in ("lead", "notes"):
        value = getattr(spec, name)
        if value is not None:
            check_text(value, name, *TEXT_LIMITS[name])
    if spec.source_url is not None:
        check_url(spec.source_url)
    check_period(spec.start_date, spec.end_date)
    known = {r.key for r in await uow.catalog.regions()}
    if any(r not in known for r in spec.regions):
        raise InvalidInput("error.stale")
    countries = {c.code for c in await uow.catalog.countries()} if spec.countries else set()
    if any(c not in countries for c in spec.countries):
        raise InvalidInput("error.stale")
    return await uow.initiatives.save(spec, now, initiative_id)
