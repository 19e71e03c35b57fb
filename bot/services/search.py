"""/search: ranked full-text search over initiatives and the updates the viewer may read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.access import visibility_for
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.model import Viewer
from bot.domain.search import SearchQuery, SearchResults
from bot.domain.search_query import parse_query, with_country_names
from bot.domain.typed import check_typed
from bot.ports import UnitOfWorkFactory, long_reads
from bot.services.browse import DIRECTORY
from bot.services.groups import require_served

PAGE_SIZE = 5
TIME_LIMIT = dt.timedelta(seconds=1)  # a query costing more answers "too broad, add a word"


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """One page of results for what was typed (the initiatives first, then the updates); `page` counts from
    0 and is always < `pages`."""

    query: SearchQuery
    results: SearchResults
    page: int
    pages: int


@long_reads  # its own transaction, whose time limit is set for it; off the event loop
async def search(
    uow_factory: UnitOfWorkFactory,
    viewer: Viewer,
    text: str,
    page: int,
    page_size: int = PAGE_SIZE,
    time_limit: dt.timedelta = TIME_LIMIT,
) -> SearchOutcome:
    """Members search everything they may read; in a group an admin registered, members search
    TLP:CLEAR updates only."""
    if viewer.role is None:
        raise NotAllowed("error.members_only")
    query = parse_query(check_typed(text, lines=False))
    if query.empty:
        raise InvalidInput("search.empty")
    visibility = visibility_for(viewer)
    size = max(1, page_size)
    page = max(0, page)
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        query = with_country_names(query, await DIRECTORY.index(uow))
        results = await uow.search.search(query, visibility, page * size, size, time_limit)
        found = results.total_initiatives + results.total_updates
        pages = max(1, -(-found // size))
        if page >= pages:  # a stale button: fewer matches than when it was drawn
            page = pages - 1
            if found:
                results = await uow.search.search(query, visibility, page * size, size, time_limit)
    return SearchOutcome(query, results, page, pages)
