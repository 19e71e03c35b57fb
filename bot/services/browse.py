"""Finding information: initiative lists, details, country profiles and upcoming events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.access import NOTHING, visibility_for
from bot.domain.country_index import CountryIndex, CountryMatch
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.filters import TypedFilter
from bot.domain.ids import parse_id
from bot.domain.model import Country, Event, Initiative, InitiativeHeadline, Region, Update, Viewer
from bot.domain.places import country_name, region_name, region_named
from bot.domain.posting import FollowKind
from bot.domain.search_query import parse_query
from bot.domain.specs import InitiativeFilter
from bot.domain.typed import check_typed
from bot.domain.vocab import Role
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.groups import require_served

PAGE_SIZE = 10
DETAIL_UPDATES = 5
UPCOMING_DAYS = 30


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of initiatives under a filter."""

    items: Sequence[InitiativeHeadline]
    total: int
    page: int
    pages: int
    where: InitiativeFilter
    country: Country | None = None  # the filter's country, to name it


@dataclass(frozen=True, slots=True)
class Detail:
    """An initiative with the names of what it links to and the updates the viewer may read."""

    initiative: Initiative
    countries: dict[str, str]
    regions: dict[str, str]
    partners: dict[str, str]
    instruments: dict[str, str]
    updates: Sequence[Update]
    total_updates: int
    offset: int
    following: bool = False


@dataclass(frozen=True, slots=True)
class CountryProfile:
    """A country: its regions, initiatives, recent visible updates and upcoming events."""

    country: Country
    regions: Sequence[Region]
    initiatives: Sequence[InitiativeHeadline]
    updates: Sequence[Update]
    events: Sequence[Event]
    refs: dict[int, str]
    total: int = 0
    offset: int = 0  # where `initiatives` start among all `total`


PICKED = 5  # initiatives offered when words pick one


def require_reader(viewer: Viewer) -> None:
    """Members read; guests and revoked members do not. In a group, each use case also checks with
    `require_served` that an admin registered it."""
    if viewer.role is None:
        raise NotAllowed("error.members_only")


async def list_initiatives(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, where: InitiativeFilter, page: int
) -> Listing:
    """Newest activity first, `PAGE_SIZE` a page."""
    require_reader(viewer)
    page = max(0, page)
    visibility = visibility_for(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        items, total = await uow.initiatives.page(where, page * PAGE_SIZE, PAGE_SIZE, visibility)
        pages = max(1, -(-total // PAGE_SIZE))
        if page >= pages and total:
            page = pages - 1
            items, total = await uow.initiatives.page(where, page * PAGE_SIZE, PAGE_SIZE, visibility)
        country = await uow.catalog.country(where.country) if where.country else None
    return Listing(items, total, page, pages, where, country)


async def initiative_at(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, where: InitiativeFilter, number: int
) -> InitiativeHeadline:
    """The initiative numbered `number` (from 1) in the list `where` as the viewer sees it now."""
    require_reader(viewer)
    async with uow_factory() as uow:
        await require_served(uow, viewer)
        items, total = await uow.initiatives.page(where, max(0, number - 1), 1, visibility_for(viewer))
    if number < 1 or not items:
        raise NotFound("initiative.no_number", number=number, total=total)
    return items[0]


async def initiative_detail(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, key: str, offset: int = 0
) -> Detail:
    """By reference (`MP-MA-2013`) or id; the updates are those the viewer may read."""
    require_reader(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        initiative = await _find(uow, key)
        updates, total = await uow.updates.latest(
            [initiative.id], visibility_for(viewer), max(0, offset), DETAIL_UPDATES
        )
        lang = viewer.language
        countries = {
            c.code: country_name(c, lang)
            for c in await uow.catalog.countries()
            if c.code in initiative.countries
        }
        regions = {
            r.key: region_name(r, lang) for r in await uow.catalog.regions() if r.key in initiative.regions
        }
        partners = await uow.catalog.organisation_names()
        instruments = await uow.catalog.instrument_names()
        follows = await uow.follows.follows(viewer.member.id) if viewer.member else []
    if viewer.role is not Role.ADMIN:  # curators' notes ('date not verified') are for admins only
        initiative = replace(initiative, notes=None)
    return Detail(
        initiative,
        countries,
        regions,
        {k: partners.get(k, k) for k in initiative.partners},
        {k: instruments.get(k, k) for k in initiative.instruments},
        updates,
        total,
        max(0, offset),
        following=(FollowKind.INITIATIVE, str(initiative.id)) in follows,
    )


async def find_initiative(uow_factory: UnitOfWorkFactory, viewer: Viewer, key: str) -> Initiative:
    """One initiative by reference or id, for a flow that needs only the initiative itself."""
    require_reader(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        return await _find(uow, key)


async def find_initiatives_by_refs(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, keys: Sequence[str]
) -> list[Initiative]:
    """Several initiatives by reference or id, in one unit of work; the first unknown one is reported."""
    require_reader(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        return [await _find(uow, key) for key in keys]


async def _find(uow: UnitOfWork, key: str) -> Initiative:
    text = check_typed(key, lines=False).strip()
    if not text or len(text) > 40:
        raise InvalidInput("initiative.ask_ref")
    number = parse_id(text)
    found = await (uow.initiatives.by_id(number) if number is not None else uow.initiatives.by_ref(text))
    if found is None:
        raise NotFound("initiative.not_found", ref=text)
    return found


class CountryDirectory:
    """The country index of this process, built again only when the store's countries were read again
    (the catalogue keeps them in memory and hands out the same sequence until then)."""

    def __init__(self) -> None:
        self._index: CountryIndex | None = None
        self._source: Sequence[Country] | None = None

    async def index(self, uow: UnitOfWork) -> CountryIndex:
        """The index of the countries as the catalogue has them now."""
        countries = await uow.catalog.countries()
        if self._index is None or countries is not self._source:
            self._index, self._source = CountryIndex(countries), countries
        return self._index


DIRECTORY = CountryDirectory()


async def find_country(uow_factory: UnitOfWorkFactory, viewer: Viewer, text: str) -> CountryMatch:
    """A region by its name in a language the bot speaks (before any guess at a country), else a country by
    code or name in any EU language, or the candidates to choose from."""
    require_reader(viewer)
    check_typed(text, lines=False)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        region = region_named(list(await uow.catalog.regions()), text)
        if region is not None:
            return CountryMatch(None, region=region)
        return (await DIRECTORY.index(uow)).find(text)


async def country_profile(
    uow_factory: UnitOfWorkFactory,
    viewer: Viewer,
    code: str,
    now: dt.datetime,
    shown: int = 10,
    offset: int = 0,
) -> CountryProfile:
    """Regions, initiatives (direct first, then regional; `shown` from `offset`), five recent visible
    updates, events ahead.

    Only the initiatives shown are loaded whole; the rest are counted by id.
    """
    require_reader(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        country = await uow.catalog.country(code)
        if country is None:
            raise NotFound("country.not_found", name=code)
        regions = [r for r in await uow.catalog.regions() if country.code in r.countries]
        visibility = visibility_for(viewer)
        ids = await uow.initiatives.ids_for_country(country.code, [r.key for r in regions], visibility)
        updates, _ = await uow.updates.latest(ids, visibility, 0, DETAIL_UPDATES, count=False)
        events = await uow.events.between(now, now + dt.timedelta(days=UPCOMING_DAYS * 3), country.code, ids)
        # The initiatives shown and those the updates belong to, loaded in one go.
        offset = min(max(0, offset), max(0, len(ids) - 1))
        page = ids[offset : offset + shown]
        loaded = await uow.initiatives.headlines(
            list(dict.fromkeys([*page, *(u.initiative_id for u in updates)]))
        )
    by_id = {i.id: i for i in loaded}
    initiatives = [by_id[i] for i in page if i in by_id]
    refs = {i.id: i.ref for i in loaded}
    return CountryProfile(country, regions, initiatives, updates, events, refs, total=len(ids), offset=offset)


async def upcoming_events(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, now: dt.datetime
) -> Sequence[Event]:
    """Events of the next 30 days, soonest first."""
    require_reader(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        return await uow.events.between(now, now + dt.timedelta(days=UPCOMING_DAYS))


async def regions(uow_factory: UnitOfWorkFactory) -> Sequence[Region]:
    """All regions, for filter buttons."""
    async with uow_factory(read_only=True) as uow:
        return await uow.catalog.regions()


async def resolve_filter(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, typed: TypedFilter
) -> InitiativeFilter:
    """Turn typed names into codes: a region by name or key, a country by code or any-language name."""
    require_reader(viewer)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        index = await DIRECTORY.index(uow)
        known = await uow.catalog.regions()
    region = _region(known, typed.region) if typed.region else None
    if typed.region and region is None:
        choices = ", ".join(region_name(r, viewer.language) for r in known)
        raise InvalidInput("filter.unknown_region", name=typed.region[:40], choices=choices)
    country = _country(index, typed.country) if typed.country else None
    if typed.words:
        region_by_words = _region(known, typed.words)
        if region_by_words is not None and region is None:
            region = region_by_words
        else:
            country = _country(index, typed.words)
    return InitiativeFilter(country=country, region=region, type=typed.type, status=typed.status)


def _region(known: Sequence[Region], name: str) -> str | None:
    region = region_named(list(known), name)
    return region.key if region is not None else None


def _country(index: CountryIndex, name: str) -> str:
    match = index.find(name)
    if match.country is None:
        raise InvalidInput("filter.unknown_place", name=name[:40])
    return match.country.code


async def find_initiatives(uow_factory: UnitOfWorkFactory, viewer: Viewer, text: str) -> Sequence[Initiative]:
    """For picking one: a reference or number, else a country's initiatives, else the best word matches."""
    require_reader(viewer)
    wanted = check_typed(text, lines=False).strip()[:200]
    if not wanted:
        return []
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        number = parse_id(wanted)
        exact = await (
            uow.initiatives.by_id(number) if number is not None else uow.initiatives.by_ref(wanted)
        )
        if exact is not None:
            return [exact]
        match = (await DIRECTORY.index(uow)).find(wanted)
        if match.country is not None:
            found = await uow.initiatives.for_country(match.country.code, [], visibility_for(viewer))
            if found:
                return found
        query = parse_query(wanted)
        if query.empty:
            return []
        results = await uow.search.search(query, NOTHING, 0, PICKED)  # initiatives come first
        ids = [hit.initiative_id for hit in results.initiatives]
        return [i for i in [await uow.initiatives.by_id(n) for n in ids] if i is not None]
