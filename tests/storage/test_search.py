"""Full-text search on real SQLite (FTS5) and real PostgreSQL: TLP, ranking, snippets, hostile text, sync."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.access import ALL_LABELS, NOTHING, Visibility, may_read, visibility_for
from bot.domain.errors import InvalidInput, NotAllowed
from bot.domain.model import Member, Update, Viewer
from bot.domain.search import CANDIDATES, HIT_END, HIT_START, SearchQuery, SearchResults
from bot.domain.search_query import parse_query
from bot.domain.vocab import MemberStatus, Role, Tlp, UpdateKind
from bot.services.search import search
from storage.factory import Store
from storage.migrate import alembic_config, upgrade
from storage.models import InitiativeRow, UpdateRow, update_readers
from storage.search import SqlSearchRepository, balanced, fts5_match
from tests.conftest import WORKING_GROUP

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
EVERYTHING = Visibility(labels=ALL_LABELS)
HOSTILE = [
    '"',
    "'",
    "AND OR NOT",
    "*",
    "kestrel*",
    "NEAR(",
    "NEAR(kestrel quokka, 2)",
    "-",
    "-kestrel",
    "^x",
    "^kestrel",
    "col:term",
    "text:kestrel",
    "'); DROP TABLE updates; --",
    '"); DROP TABLE updates; --',
    "kestrel' OR '1'='1",
    "!kestrel & quokka | (x <-> y)",
    '"kestrel',
    'kestrel"',
    '""kestrel""',
    "🦅🦅 kestrel 🦘",
    "\x00\x02\x03 kestrel",
    "(((((",
    "{kestrel quokka}",
    "k" * 10_000,
    "kestrel " * 2_000,
]


@dataclass
class World:
    """Members of every kind and the updates they posted, as domain objects for `may_read`."""

    members: dict[str, Member]
    initiative_id: int
    updates: dict[int, Update] = field(default_factory=dict)

    def viewer(self, name: str, in_group: bool = False, group: int = WORKING_GROUP) -> Viewer:
        """A member (or "nobody") in a private chat, or in a group (the registered working group)."""
        member = self.members.get(name)
        user_id = member.telegram_user_id if member else 999
        return Viewer(user_id, member, "en", in_group, group if in_group else None)


MEMBERS = {  # name: (delegation, role)
    "admin": ("GSC", Role.ADMIN),
    "fr": ("FR", Role.CONTACT),
    "de": ("DE", Role.CONTACT),
    "com": ("COM", Role.CONTACT),
    "observer": ("FRONTEX", Role.OBSERVER),
    "fr_observer": ("FR", Role.OBSERVER),
    "revoked": ("FR", Role.CONTACT),
}


@pytest.fixture
async def world(store: Store) -> World:
    members: dict[str, Member] = {}
    async with store.uow() as uow:
        for number, (name, (delegation, role)) in enumerate(MEMBERS.items()):
            members[name] = await uow.members.add(
                telegram_user_id=500 + number,
                chat_id=500 + number,
                display_name=name,
                delegation_code=delegation,
                role=role,
                language="en",
                time_zone="Europe/Brussels",
                now=NOW,
            )
        await uow.groups.save(WORKING_GROUP, "EMWP", None, NOW)
        revoked = await uow.members.change(members["revoked"].id, NOW, status=MemberStatus.REVOKED)
        assert revoked is not None
        members["revoked"] = revoked
        initiative = await uow.initiatives.by_ref("mp-ma-2013")
        await uow.commit()
    assert initiative is not None
    return World(members, initiative.id)


async def post(
    store: Store,
    world: World,
    body: str,
    tlp: Tlp = Tlp.GREEN,
    author: str = "fr",
    readers: Sequence[str] = (),
    withdrawn: bool = False,
    minutes: int = 0,
) -> int:
    """An update saved through the ORM model; the migration's triggers index it."""
    member = world.members[author]
    created = NOW + dt.timedelta(minutes=minutes or len(world.updates))
    async with AsyncSession(store.engine) as session:
        row = UpdateRow(
            initiative_id=world.initiative_id,
            kind=UpdateKind.PROGRESS.value,
            text=body,
            tlp=tlp.value,
            author_id=member.id,
            delegation_code=member.delegation.code,
            created_at=created,
            withdrawn_at=NOW if withdrawn else None,
        )
        session.add(row)
        await session.flush()
        update_id = row.id
        for code in readers:
            await session.execute(insert(update_readers).values(update_id=update_id, delegation_code=code))
        await session.commit()
    world.updates[update_id] = Update(
        update_id,
        world.initiative_id,
        UpdateKind.PROGRESS,
        body,
        tlp,
        member.id,
        member.delegation.code,
        created,
        frozenset(readers),
        withdrawn_at=NOW if withdrawn else None,
    )
    return update_id


async def find(
    store: Store,
    query: str | SearchQuery,
    visibility: Visibility = EVERYTHING,
    offset: int = 0,
    limit: int = 50,
) -> SearchResults:
    parsed = parse_query(query) if isinstance(query, str) else query
    async with store.uow() as uow:
        return await uow.search.search(parsed, visibility, offset, limit)


def ids(results: SearchResults) -> list[int]:
    return [hit.id for hit in results.updates]


def readable(world: World, viewer: Viewer) -> set[int]:
    return {i for i, u in world.updates.items() if u.withdrawn_at is None and may_read(viewer, u)}


async def post_tlp_matrix(store: Store, world: World) -> dict[str, int]:
    posts = {
        "clear": await post(store, world, "kestrel clear", Tlp.CLEAR),
        "green": await post(store, world, "kestrel green", Tlp.GREEN),
        "amber": await post(store, world, "kestrel amber", Tlp.AMBER),
        "strict_fr": await post(store, world, "kestrel strict", Tlp.AMBER_STRICT, author="fr"),
        "red_fr_for_de": await post(store, world, "kestrel red", Tlp.RED, author="fr", readers=["DE"]),
        "red_de_for_fr": await post(store, world, "kestrel red", Tlp.RED, author="de", readers=["FR", "COM"]),
        "red_de_alone": await post(store, world, "kestrel red", Tlp.RED, author="de"),
        "withdrawn": await post(store, world, "kestrel gone", Tlp.CLEAR, withdrawn=True),
    }
    return posts


async def test_amber_strict_is_found_by_its_delegation_and_admins_only(store: Store, world: World) -> None:
    posts = await post_tlp_matrix(store, world)
    strict = posts["strict_fr"]
    for name, in_group, sees in [
        ("fr", False, True),
        ("admin", False, True),
        ("fr_observer", False, False),
        ("de", False, False),
        ("observer", False, False),
        ("com", False, False),
        ("fr", True, False),
    ]:
        outcome = await search(store.uow, world.viewer(name, in_group), "kestrel", 0, 50)
        assert (strict in ids(outcome.results)) is sees, (name, in_group)


OPEN = {"clear", "green"}
SEEN_BY = {  # viewer: the posts of `post_tlp_matrix` TLP 2.0 lets them read
    "admin": OPEN | {"amber", "strict_fr", "red_fr_for_de", "red_de_for_fr", "red_de_alone"},
    "fr": OPEN | {"amber", "strict_fr", "red_fr_for_de", "red_de_for_fr"},
    "de": OPEN | {"amber", "red_fr_for_de", "red_de_for_fr", "red_de_alone"},
    "com": OPEN | {"amber", "red_de_for_fr"},
    "observer": OPEN,
    "fr_observer": OPEN | {"red_de_for_fr"},  # named FR: RED reaches an observer only when named
}
SEEN_IN_GROUP = {"clear"}


@pytest.mark.parametrize(
    ("name", "in_group"),
    [(n, False) for n in MEMBERS if n != "revoked"] + [("fr", True), ("observer", True)],
)
async def test_every_viewer_finds_exactly_what_may_read_allows(
    store: Store, world: World, name: str, in_group: bool
) -> None:
    posts = await post_tlp_matrix(store, world)
    viewer = world.viewer(name, in_group)
    outcome = await search(store.uow, viewer, "kestrel", 0, 50)
    found = ids(outcome.results)
    assert set(found) == readable(world, viewer)
    assert len(found) == len(set(found)) == outcome.results.total_updates
    assert posts["withdrawn"] not in found
    # And the same from SPEC.md's table, written out by hand rather than through `may_read`.
    expected = SEEN_IN_GROUP if in_group else SEEN_BY.get(name, set())
    assert {key for key, ident in posts.items() if ident in found} == expected
    if in_group:
        assert {world.updates[i].tlp for i in found} == {Tlp.CLEAR}


async def test_red_is_read_by_the_named_delegations_its_author_and_admins(store: Store, world: World) -> None:
    posts = await post_tlp_matrix(store, world)
    seen = {
        name: set(ids(await find(store, "kestrel red", visibility_for(world.viewer(name)))))
        for name in ("admin", "fr", "de", "com", "observer")
    }
    assert seen["admin"] == {posts["red_fr_for_de"], posts["red_de_for_fr"], posts["red_de_alone"]}
    assert seen["fr"] == {posts["red_fr_for_de"], posts["red_de_for_fr"]}
    assert seen["de"] == {posts["red_fr_for_de"], posts["red_de_for_fr"], posts["red_de_alone"]}
    assert seen["com"] == {posts["red_de_for_fr"]}
    assert seen["observer"] == set()


@pytest.mark.parametrize("name", ["nobody", "revoked"])
@pytest.mark.parametrize("in_group", [False, True])
async def test_guests_and_revoked_members_may_not_search(
    store: Store, world: World, name: str, in_group: bool
) -> None:
    """Not in a private chat, nor in a registered group (where, before, anyone found TLP:CLEAR)."""
    with pytest.raises(NotAllowed) as refused:
        await search(store.uow, world.viewer(name, in_group), "kestrel", 0)
    assert refused.value.message_id == "error.members_only"


@pytest.mark.parametrize("name", ["admin", "fr", "nobody"])
async def test_nobody_searches_in_a_group_no_admin_registered(store: Store, world: World, name: str) -> None:
    await post(store, world, "kestrel clear", Tlp.CLEAR)
    with pytest.raises(NotAllowed) as refused:
        await search(store.uow, world.viewer(name, in_group=True, group=-100999), "kestrel", 0)
    assert refused.value.message_id == ("group.not_registered" if name != "nobody" else "error.members_only")
    stray = Viewer(world.members["fr"].telegram_user_id, world.members["fr"], "en", in_group=True)
    with pytest.raises(NotAllowed, match=r"^group\.not_registered$"):  # a group with no id is no group
        await search(store.uow, stray, "kestrel", 0)


async def test_a_query_with_no_words_is_refused_as_empty(store: Store, world: World) -> None:
    with pytest.raises(InvalidInput) as refused:
        await search(store.uow, world.viewer("fr"), ' "*" -- () ', 0)
    assert refused.value.message_id == "search.empty"


async def test_no_visibility_and_no_words_return_nothing_without_the_database() -> None:
    unbound = SqlSearchRepository(AsyncSession())  # any statement would raise UnboundExecutionError
    assert await unbound.search(SearchQuery(), EVERYTHING, 0, 5) == SearchResults((), (), 0, False)
    nothing = await unbound.search(parse_query("kestrel"), NOTHING, 0, 5)
    assert nothing == SearchResults((), (), 0, False)


async def test_term_dense_update_ranks_first_though_oldest(store: Store, world: World) -> None:
    dense = await post(store, world, "kestrel kestrel kestrel nesting sites", minutes=1)
    filler = " ".join(f"word{n}" for n in range(60))
    for minute in range(2, 6):
        await post(store, world, f"{filler} kestrel {filler}", minutes=minute)
    results = await find(store, "kestrel")
    assert ids(results)[0] == dense
    assert results.total_updates == 5


async def test_an_initiative_with_the_word_in_its_title_ranks_first(store: Store, world: World) -> None:
    async with AsyncSession(store.engine) as session:
        for ref, title, notes in [
            ("QK-NOTES", "Coastal dialogue", "Background " * 30 + "on the quokka programme."),
            ("QK-TITLE", "Quokka partnership", "Background " * 30),
            ("QK-NONE", "Inland dialogue", "Nothing relevant."),
        ]:
            session.add(
                InitiativeRow(
                    ref=ref,
                    title=title,
                    notes=notes,
                    type="other",
                    status="active",
                    created_at=NOW,
                    last_activity_at=NOW,
                )
            )
        await session.commit()
    results = await find(store, "QUOKKA")
    assert [hit.initiative_ref for hit in results.initiatives] == ["QK-TITLE", "QK-NOTES"]
    title, notes = results.initiatives
    assert title.kind == "initiative" and title.id == title.initiative_id
    assert f"{HIT_START}Quokka{HIT_END}" in title.snippet
    assert f"{HIT_START}quokka{HIT_END}" in notes.snippet and "programme" in notes.snippet
    assert list(results.updates) == []


async def test_snippets_mark_the_words_and_carry_the_update_facts(store: Store, world: World) -> None:
    body = (
        " ".join(f"w{n}" for n in range(100)) + " the Kestrel survey " + " ".join(f"v{n}" for n in range(100))
    )
    update_id = await post(store, world, body, Tlp.AMBER)
    (hit,) = (await find(store, "kestrel")).updates
    assert (hit.kind, hit.id, hit.initiative_id) == ("update", update_id, world.initiative_id)
    assert (hit.initiative_ref, hit.tlp) == ("MP-MA-2013", Tlp.AMBER)
    assert hit.initiative_title == "EU-Morocco Mobility Partnership"
    assert hit.created_at == world.updates[update_id].created_at
    assert f"{HIT_START}Kestrel{HIT_END}" in hit.snippet
    assert len(hit.snippet.split()) <= 25, hit.snippet


async def test_a_phrase_matches_only_its_words_in_order(store: Store, world: World) -> None:
    in_order = await post(store, world, "the return policy was agreed")
    await post(store, world, "policy on the return of nationals")
    assert ids(await find(store, '"Return Policy"')) == [in_order]
    assert len(ids(await find(store, "return policy"))) == 2


async def test_diacritics_are_folded(store: Store, world: World) -> None:
    update_id = await post(store, world, "La Société générale finance le programme")
    assert ids(await find(store, "société")) == [update_id]
    assert ids(await find(store, "SOCIÉTÉ GÉNÉRALE")) == [update_id]
    assert ids(await find(store, "societe generale")) == [update_id]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda q: repr(q[:24]))
async def test_hostile_queries_are_only_words(store: Store, world: World, hostile: str) -> None:
    near = await post(store, world, "kestrel quokka near the and gate", Tlp.CLEAR)
    await post(store, world, "kestrel", Tlp.RED, author="de")
    results = await find(store, hostile, visibility_for(world.viewer("fr")))
    assert set(ids(results)) <= readable(world, world.viewer("fr"))
    if any(ord(char) < 0x20 for char in hostile):  # the service refuses control characters outright
        with pytest.raises(InvalidInput, match=r"^input\.control$"):
            await search(store.uow, world.viewer("fr"), hostile, 0)
    elif parse_query(hostile).empty:
        with pytest.raises(InvalidInput, match=r"^search\.empty$"):
            await search(store.uow, world.viewer("fr"), hostile, 0)
    else:
        outcome = await search(store.uow, world.viewer("fr"), hostile, 0)
        assert ids(outcome.results) == ids(results)[:5]
    async with store.engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(UpdateRow)) == 2
    assert ids(await find(store, "NEAR(")) == [near]  # operator words are words


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WORDS = ["kestrel", "quokka", "red", "AND", "OR", "NOT", "NEAR", '"', "'", "*", "^", ":", "(", ")", "-", "+"]
query_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(WORDS), max_size=10).map(" ".join),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=5)), max_size=10).map("".join),
)


@pytest.fixture
async def fuzz_world(store: Store, world: World) -> World:
    await post_tlp_matrix(store, world)
    await post(store, world, "quokka kestrel AND NOT near red", Tlp.AMBER_STRICT, author="de")
    return world


@FUZZ
@given(query=query_text, name=st.sampled_from(["de", "observer", "com"]))
async def test_any_text_searches_without_failing_and_shows_only_what_may_be_read(
    store: Store, fuzz_world: World, query: str, name: str
) -> None:
    viewer = fuzz_world.viewer(name)
    results = await find(store, query, visibility_for(viewer))
    assert set(ids(results)) <= readable(fuzz_world, viewer)
    for hit in (*results.updates, *results.initiatives):
        assert balanced(hit.snippet) == hit.snippet


@given(query=query_text)
def test_match_strings_are_only_quoted_strings(query: str) -> None:
    match = fts5_match(parse_query(query))
    assert re.fullmatch(r'("(?:[^"]|"")+")?( "(?:[^"]|"")+")*', match), match


def test_balanced_closes_and_drops_stray_markers() -> None:
    assert balanced(f"a{HIT_END}b{HIT_START}c{HIT_START}d") == f"ab{HIT_START}cd{HIT_END}"


async def test_triggers_keep_the_index_in_step_with_edits_and_deletes(store: Store, world: World) -> None:
    update_id = await post(store, world, "kestrel sighting")
    async with AsyncSession(store.engine) as session:
        await session.execute(
            update(UpdateRow).where(UpdateRow.id == update_id).values(text="quokka sighting")
        )
        await session.commit()
    assert ids(await find(store, "kestrel")) == []
    assert ids(await find(store, "quokka")) == [update_id]
    async with AsyncSession(store.engine) as session:
        await session.execute(update(UpdateRow).where(UpdateRow.id == update_id).values(withdrawn_at=NOW))
        await session.commit()
    assert ids(await find(store, "quokka")) == []
    async with AsyncSession(store.engine) as session:
        await session.execute(update(UpdateRow).where(UpdateRow.id == update_id).values(withdrawn_at=None))
        await session.commit()
    assert ids(await find(store, "sighting")) == [update_id]
    async with AsyncSession(store.engine) as session:
        await session.execute(delete(UpdateRow).where(UpdateRow.id == update_id))
        await session.commit()
    assert ids(await find(store, "quokka")) == []
    assert ids(await find(store, "sighting")) == []


async def test_initiative_edits_are_indexed(store: Store, world: World) -> None:
    async with AsyncSession(store.engine) as session:
        await session.execute(
            update(InitiativeRow).where(InitiativeRow.ref == "MP-MA-2013").values(lead="Wombat agency")
        )
        await session.commit()
    assert [hit.initiative_ref for hit in (await find(store, "wombat")).initiatives] == ["MP-MA-2013"]
    async with AsyncSession(store.engine) as session:
        await session.execute(
            update(InitiativeRow).where(InitiativeRow.ref == "MP-MA-2013").values(lead=None)
        )
        await session.commit()
    assert (await find(store, "wombat")).initiatives == []


async def test_pages_are_disjoint_and_cover_every_match(store: Store, world: World) -> None:
    posted = {await post(store, world, f"kestrel report {n}") for n in range(12)}
    pages = [await search(store.uow, world.viewer("fr"), "kestrel", page) for page in range(3)]
    seen = [ids(outcome.results) for outcome in pages]
    assert [len(page) for page in seen] == [5, 5, 2]
    assert set().union(*map(set, seen)) == posted and sum(map(len, seen)) == 12
    assert {outcome.pages for outcome in pages} == {3}
    stale = await search(store.uow, world.viewer("fr"), "kestrel", 9)
    assert (stale.page, ids(stale.results)) == (2, seen[2])
    beyond = await find(store, "kestrel", offset=40, limit=5)
    assert (list(beyond.updates), beyond.total_updates) == ([], 12)


async def test_only_the_newest_candidates_are_ranked_and_the_cap_is_reported(
    store: Store, world: World
) -> None:
    oldest = await post(store, world, "plover plover plover", minutes=1)
    member = world.members["fr"]
    rows = [
        {
            "initiative_id": world.initiative_id,
            "kind": "progress",
            "text": f"a long report on the plover colony number {n}",
            "tlp": Tlp.GREEN.value,
            "author_id": member.id,
            "delegation_code": "FR",
            "created_at": NOW + dt.timedelta(hours=1, minutes=n),
        }
        for n in range(CANDIDATES)
    ]
    async with store.engine.begin() as connection:
        await connection.execute(insert(UpdateRow), rows)
    capped = await find(store, "plover", limit=5)
    assert (capped.total_updates, capped.capped) == (CANDIDATES, True)
    assert oldest not in ids(capped)  # the densest match, but older than the newest 500
    async with store.engine.begin() as connection:
        newest = await connection.scalar(select(func.max(UpdateRow.id)))
        await connection.execute(delete(UpdateRow).where(UpdateRow.id == newest))
    exact = await find(store, "plover", limit=5)
    assert (exact.total_updates, exact.capped) == (CANDIDATES, False)
    assert ids(exact)[0] == oldest


async def test_downgrade_drops_the_index_and_upgrade_rebuilds_it(store: Store, world: World) -> None:
    update_id = await post(store, world, "kestrel before the downgrade")
    async with store.engine.begin() as connection:
        await connection.run_sync(_downgrade_to_0003)
        assert not await connection.run_sync(_has_search_objects)
    await upgrade(store.engine)
    async with store.engine.connect() as connection:
        assert await connection.run_sync(_has_search_objects)
    assert ids(await find(store, "kestrel")) == [update_id]
    assert [h.initiative_ref for h in (await find(store, "morocco mobility")).initiatives] == ["MP-MA-2013"]


async def test_downgrading_past_posting_keeps_the_search_index(store: Store) -> None:
    """0006's downgrade drops columns of `updates` without rebuilding the table (which would lose the
    full-text triggers of 0004)."""
    async with store.engine.begin() as connection:
        await connection.run_sync(_downgrade_to, "0005")
        assert await connection.run_sync(_has_search_objects)
    await upgrade(store.engine)


def _downgrade_to(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


def _downgrade_to_0003(connection: Connection) -> None:
    _downgrade_to(connection, "0003")


def _has_search_objects(connection: Connection) -> bool:
    if connection.dialect.name == "postgresql":
        sql = "SELECT count(*) FROM information_schema.columns WHERE column_name = 'search_vector'"
        return connection.scalar(text(sql)) == 2
    sql = (
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts%'"
        " OR type = 'table' AND name IN ('updates_fts', 'initiatives_fts')"
    )
    return connection.scalar(text(sql)) == 8
