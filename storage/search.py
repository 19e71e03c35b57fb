"""Full-text search over SQLite FTS5 or PostgreSQL tsvectors (revision 0004): one interface, two engines.

Updates: the newest `CANDIDATES` matches the viewer may read are taken in index order (SQLite stops
reading the index early; scoring every match of a common word would cost ~150 ms on 200,000
updates), only those are scored, and only the page asked for gets snippets. Initiatives: the best
few matches by a weighted score (title and reference first). User text reaches the engines only as
bound values: quoted FTS5 strings, or `plainto_tsquery`/`phraseto_tsquery` arguments.

A search may be given a time budget: PostgreSQL cancels a statement past `statement_timeout` (set for the
search only), SQLite's progress handler interrupts one past its deadline; either way SearchTooBroad.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from sqlalchemy import (
    CTE,
    ColumnElement,
    ColumnExpressionArgument,
    Float,
    Integer,
    Select,
    Subquery,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.access import Visibility
from bot.domain.search import (
    CANDIDATES,
    HIT_END,
    HIT_START,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchTooBroad,
)
from bot.domain.vocab import Tlp
from storage import sqlite_driver
from storage.mapping import aware
from storage.models import InitiativeRow, UpdateRow, initiative_countries
from storage.visibility import visible_updates

SNIPPET_WORDS = 20
ELLIPSIS = "…"
EMPTY = SearchResults(initiatives=(), updates=(), total_updates=0, capped=False)
PROGRESS_STEPS = 1_000  # SQLite virtual-machine steps between two looks at the clock
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout

UPDATES_FTS = table("updates_fts", column("rowid", Integer))
INITIATIVES_FTS = table("initiatives_fts", column("rowid", Integer))
# Initiatives: a word in the title or reference outweighs several in the notes. bm25 weights of
# initiatives_fts(title, ref, lead, notes, funding); ts_rank weights of {D, C, B, A} (setweight in 0004).
INITIATIVE_WEIGHTS = (10.0, 10.0, 3.0, 1.0, 1.0)
PG_WEIGHTS: ColumnElement[Any] = literal_column("'{0.1, 0.1, 0.3, 1.0}'::float4[]")
SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
HEADLINE = f"StartSel={HIT_START}, StopSel={HIT_END}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}"


def fts5_match(query: SearchQuery) -> str:
    """An FTS5 MATCH string: every word and phrase a double-quoted string (implicit AND), never syntax."""
    strings = [*query.terms, *(" ".join(words) for words in query.phrases)]
    parts = ['"' + string.replace('"', '""') + '"' for string in strings]
    parts += [
        "(" + " OR ".join('"' + n.replace('"', '""') + '"' for n in names) + ")" for names in query.any_of
    ]
    return (" AND " if query.any_of else " ").join(parts)  # FTS5 has no implicit AND before a group


class _Engine(Protocol):
    """What differs between the two engines; the repository composes the rest."""

    def candidates(self, visibility: Visibility) -> tuple[CTE, Subquery]:
        """(the newest CANDIDATES + 1 visible matches, the newest CANDIDATES with `score`, lower better)."""
        ...

    def update_snippet(self, update_id: ColumnElement[int]) -> ColumnElement[Any]: ...

    def matching_initiatives(self) -> Select[tuple[int, float]]:
        """(id, score) of every matching initiative, best first (lower score better)."""
        ...

    def initiative_snippets(self, initiative_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
        """Snippets of notes, title, and any field, in order of preference."""
        ...


class _Fts5:
    """SQLite: external-content FTS5 tables sharing rowids with `updates` and `initiatives`."""

    def __init__(self, query: SearchQuery) -> None:
        self._match = fts5_match(query)

    def _matches(self, fts: str) -> ColumnElement[bool]:
        return literal_column(fts).op("MATCH")(self._match)

    def candidates(self, visibility: Visibility) -> tuple[CTE, Subquery]:
        rowid = UPDATES_FTS.c.rowid
        found = (
            select(rowid.label("id"), func.bm25(literal_column("updates_fts"), type_=Float).label("score"))
            .select_from(UPDATES_FTS)
            .join(UpdateRow, UpdateRow.id == rowid)
            .where(self._matches("updates_fts"), visible_updates(visibility))
            .order_by(rowid.desc())  # FTS5 walks its index newest first and stops at the limit
            .limit(CANDIDATES + 1)
            .cte("candidates")
        )
        return found, _newest(found, found.c.score)

    def update_snippet(self, update_id: ColumnElement[int]) -> ColumnElement[Any]:
        return self._snippet(UPDATES_FTS, update_id, 0)

    def matching_initiatives(self) -> Select[tuple[int, float]]:
        score = func.bm25(literal_column("initiatives_fts"), *INITIATIVE_WEIGHTS, type_=Float).label("score")
        return (
            select(INITIATIVES_FTS.c.rowid.label("id"), score)
            .select_from(INITIATIVES_FTS)
            .where(self._matches("initiatives_fts"))
            .order_by(score, INITIATIVES_FTS.c.rowid.desc())
        )

    def initiative_snippets(self, initiative_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
        return [self._snippet(INITIATIVES_FTS, initiative_id, index) for index in (3, 0, -1)]

    def _snippet(self, fts: Any, rowid: ColumnElement[int], index: int) -> ColumnElement[Any]:
        """snippet() must run in a MATCH query: one per row of the page, found by rowid."""
        hidden: ColumnElement[Any] = literal_column(fts.name)
        return (
            select(func.snippet(hidden, index, HIT_START, HIT_END, ELLIPSIS, SNIPPET_WORDS))
            .select_from(fts)
            .where(self._matches(fts.name), fts.c.rowid == rowid)
            .scalar_subquery()
        )


class _Postgres:
    """PostgreSQL: `search_vector`, generated and GIN-indexed on `updates` and `initiatives`."""

    def __init__(self, query: SearchQuery) -> None:
        parts: list[ColumnElement[Any]] = [
            func.plainto_tsquery(SIMPLE, func.emwp_fold(term)) for term in query.terms
        ]
        parts += [func.phraseto_tsquery(SIMPLE, func.emwp_fold(" ".join(words))) for words in query.phrases]
        for names in query.any_of:
            group: ColumnElement[Any] = func.phraseto_tsquery(SIMPLE, func.emwp_fold(names[0]))
            for name in names[1:]:
                group = group.op("||")(func.phraseto_tsquery(SIMPLE, func.emwp_fold(name)))
            parts.append(group)
        tsquery: ColumnElement[Any] = parts[0]
        for part in parts[1:]:
            tsquery = tsquery.op("&&")(part)
        self._tsquery = tsquery

    def candidates(self, visibility: Visibility) -> tuple[CTE, Subquery]:
        vector: ColumnElement[Any] = literal_column("updates.search_vector")
        found = (
            select(UpdateRow.id.label("id"), vector.label("vector"))
            .where(vector.op("@@")(self._tsquery), visible_updates(visibility))
            .order_by(UpdateRow.id.desc())
            .limit(CANDIDATES + 1)
            .cte("candidates")
        )
        return found, _newest(found, -func.ts_rank(found.c.vector, self._tsquery, 1, type_=Float))

    def update_snippet(self, update_id: ColumnElement[int]) -> ColumnElement[Any]:
        return self._headline(UpdateRow.text)

    def matching_initiatives(self) -> Select[tuple[int, float]]:
        vector: ColumnElement[Any] = literal_column("initiatives.search_vector")
        score = (-func.ts_rank(PG_WEIGHTS, vector, self._tsquery, type_=Float)).label("score")
        return (
            select(InitiativeRow.id.label("id"), score)
            .where(vector.op("@@")(self._tsquery))
            .order_by(score, InitiativeRow.id.desc())
        )

    def initiative_snippets(self, initiative_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
        others = func.concat_ws(" ", InitiativeRow.ref, InitiativeRow.lead, InitiativeRow.funding)
        return [
            self._headline(func.coalesce(InitiativeRow.notes, "")),
            self._headline(InitiativeRow.title),
            self._headline(others),
        ]

    def _headline(self, document: ColumnExpressionArgument[str]) -> ColumnElement[Any]:
        return func.ts_headline(SIMPLE, document, self._tsquery, HEADLINE)


def _newest(found: CTE, score: ColumnElement[float]) -> Subquery:
    """The newest CANDIDATES of the CANDIDATES + 1 found (the extra one only says there are more)."""
    return (
        select(found.c.id, score.label("score"))
        .order_by(found.c.id.desc())
        .limit(CANDIDATES)
        .subquery("pool")
    )


class SqlSearchRepository:
    """Ranked full-text search over initiatives and the updates a visibility allows."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def search(
        self,
        query: SearchQuery,
        visibility: Visibility,
        offset: int,
        limit: int,
        time_limit: dt.timedelta | None = None,
    ) -> SearchResults:
        """The page [offset, offset + limit) of every matching initiative, best first, followed by the best
        of the newest visible update matches; within `time_limit` if given, else SearchTooBroad."""
        if query.empty or visibility.nothing:
            return EMPTY
        postgres = self._session.get_bind().dialect.name == "postgresql"
        kind: type[_Postgres] | type[_Fts5] = _Postgres if postgres else _Fts5
        engine: _Engine = kind(query)
        offset, limit = max(0, offset), max(0, limit)
        async with self._deadline(time_limit, postgres):
            ranked = await self._ranked_initiatives(engine, query, kind)
            shown = ranked[offset : offset + limit]
            initiatives = await self._initiatives(engine, shown)
            after = max(0, offset - len(ranked))  # the updates follow the initiatives
            updates, found = await self._updates(engine, visibility, after, limit - len(shown))
        return SearchResults(
            initiatives=initiatives,
            updates=updates,
            total_updates=min(found, CANDIDATES),
            capped=found > CANDIDATES,
            total_initiatives=len(ranked),
        )

    @contextlib.asynccontextmanager
    async def _deadline(self, time_limit: dt.timedelta | None, postgres: bool) -> AsyncIterator[None]:
        """Run the block's statements within `time_limit`, or raise SearchTooBroad."""
        if time_limit is None:
            yield
            return
        connection = await self._session.connection()
        if postgres:
            milliseconds = max(1, int(time_limit.total_seconds() * 1000))
            await connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")
            try:
                yield
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
                    raise SearchTooBroad() from None
                raise
            await connection.exec_driver_sql("SET LOCAL statement_timeout TO DEFAULT")
            return
        driver = (await connection.get_raw_connection()).driver_connection
        assert isinstance(driver, sqlite_driver.Connection)
        try:
            with driver.deadline(time_limit.total_seconds(), PROGRESS_STEPS):
                yield
        except DBAPIError as exc:
            if "interrupted" in str(exc.orig):
                raise SearchTooBroad() from None
            raise

    async def _updates(
        self, engine: _Engine, visibility: Visibility, offset: int, limit: int
    ) -> tuple[list[SearchHit], int]:
        found, pool = engine.candidates(visibility)
        counting = select(func.count()).select_from(found)
        page = (
            select(pool.c.id, pool.c.score)
            .order_by(pool.c.score, pool.c.id.desc())
            .limit(limit)
            .offset(offset)
            .subquery("page")
        )
        rows = (
            await self._session.execute(
                select(
                    page.c.id,
                    UpdateRow.tlp,
                    UpdateRow.created_at,
                    InitiativeRow.id,
                    InitiativeRow.ref,
                    InitiativeRow.title,
                    engine.update_snippet(page.c.id),
                    counting.scalar_subquery(),
                )
                .select_from(page)
                .join(UpdateRow, UpdateRow.id == page.c.id)
                .join(InitiativeRow, InitiativeRow.id == UpdateRow.initiative_id)
                .order_by(page.c.score, page.c.id.desc())
            )
        ).all()
        if not rows:  # a page past the end: the count still matters
            return [], await self._session.scalar(counting) or 0
        return [_update_hit(row) for row in rows], rows[0][7]

    async def _ranked_initiatives(
        self, engine: _Engine, query: SearchQuery, kind: type[_Postgres] | type[_Fts5]
    ) -> list[int]:
        """Every matching initiative, best first; then those of the named countries (matching the other
        words, if any) that their names alone did not find."""
        ranked = list(await self._session.scalars(select(engine.matching_initiatives().subquery().c.id)))
        if not query.countries:
            return ranked
        codes = list(query.countries)
        linked = (
            select(initiative_countries.c.initiative_id)
            .where(initiative_countries.c.country_code.in_(codes))
            .group_by(initiative_countries.c.initiative_id)
            .having(func.count(func.distinct(initiative_countries.c.country_code)) == len(codes))
        )
        words = query.words
        if not words.empty:
            linked = linked.where(
                initiative_countries.c.initiative_id.in_(
                    select(kind(words).matching_initiatives().subquery().c.id)
                )
            )
        seen = set(ranked)
        more = await self._session.scalars(linked.order_by(initiative_countries.c.initiative_id.desc()))
        return ranked + [i for i in more if i not in seen]

    async def _initiatives(self, engine: _Engine, ids: Sequence[int]) -> list[SearchHit]:
        """These initiatives, in this order, with snippets."""
        rows = await self._session.execute(
            select(
                InitiativeRow.id,
                InitiativeRow.ref,
                InitiativeRow.title,
                *engine.initiative_snippets(InitiativeRow.id.expression),
            ).where(InitiativeRow.id.in_(list(ids)))
        )
        by_id = {row[0]: _initiative_hit(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]


def _update_hit(row: Sequence[Any]) -> SearchHit:
    update_id, tlp, created_at, initiative_id, ref, title, snippet, _ = row
    return SearchHit(
        kind="update",
        id=update_id,
        initiative_id=initiative_id,
        initiative_ref=ref,
        initiative_title=title,
        snippet=balanced(snippet or ""),
        tlp=Tlp(tlp),
        created_at=aware(created_at),
    )


def _initiative_hit(row: Sequence[Any]) -> SearchHit:
    initiative_id, ref, title, *snippets = row
    marked = [s for s in snippets if s and HIT_START in s]
    return SearchHit(
        kind="initiative",
        id=initiative_id,
        initiative_id=initiative_id,
        initiative_ref=ref,
        initiative_title=title,
        snippet=balanced(marked[0] if marked else title),
    )


def balanced(snippet: str) -> str:
    """Markers alternate start/end and every start is closed, even if the text held marker characters."""
    kept: list[str] = []
    inside = False
    for char in snippet:
        if char in (HIT_START, HIT_END):
            if (char == HIT_START) == inside:
                continue
            inside = not inside
        kept.append(char)
    if inside:
        kept.append(HIT_END)
    return "".join(kept)
