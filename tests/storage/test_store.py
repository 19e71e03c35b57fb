"""The store on real SQLite and real PostgreSQL: migrations, seed, unit of work, audit log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.domain.languages import EU_OFFICIAL_LANGUAGES
from bot.domain.model import Member
from bot.domain.vocab import DelegationKind, InitiativeStatus, InitiativeType, Role
from bot.services.seeding import seed_if_empty, seed_store
from storage.countries import load_countries
from storage.factory import Store, open_store
from storage.migrate import model_drift, pending
from storage.seed_loader import load_seed
from tests.databases import SqliteTemplates

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)


async def test_schema_is_at_head_after_upgrade(store: Store) -> None:
    await store.upgrade()
    assert await pending(store.engine) == []


async def test_seed_loads_every_record_of_the_shipped_file(store: Store) -> None:
    seed = load_seed()
    async with store.uow() as uow:
        assert await uow.initiatives.count() == len(seed.initiatives)
        delegations = await uow.catalog.delegations()
        regions = await uow.catalog.regions()
    assert len([d for d in delegations if d.kind is DelegationKind.MEMBER_STATE]) == 27
    assert {"GSC", "COM", "EEAS"} <= {d.code for d in delegations}
    assert {r.key for r in regions} == {r.key for r in seed.regions}


async def test_seeded_initiative_keeps_its_facts_and_source(store: Store) -> None:
    async with store.uow() as uow:
        morocco = await uow.initiatives.by_ref("mp-ma-2013")
    assert morocco is not None
    assert morocco.title == "EU-Morocco Mobility Partnership"
    assert morocco.type is InitiativeType.PARTNERSHIP
    assert morocco.status is InitiativeStatus.ACTIVE
    assert morocco.countries == ("MA",)
    assert morocco.regions == ("north_africa",)
    assert morocco.instruments == ("mobility_partnership_facility",)
    assert morocco.start_date == dt.date(2013, 6, 7)
    assert morocco.source_url and morocco.source_url.startswith("http")


async def test_seeding_twice_changes_nothing(store: Store) -> None:
    seed, countries = load_seed(), load_countries()
    again = await seed_store(store.uow, seed, countries, NOW)
    assert not again.changed, again
    async with store.uow() as uow:
        assert [e.action for e in await uow.audit.latest(5)].count("seed.applied") == 1


async def test_seed_if_empty_leaves_a_populated_store_alone(store: Store) -> None:
    assert await seed_if_empty(store.uow, load_seed, load_countries, NOW) is None


async def test_countries_are_named_in_every_eu_language(store: Store) -> None:
    async with store.uow() as uow:
        morocco = await uow.catalog.country("ma")
        kosovo = await uow.catalog.country("XK")
    assert morocco is not None and kosovo is not None
    assert set(EU_OFFICIAL_LANGUAGES) <= set(morocco.names)
    assert morocco.names["fr"] == "Maroc" and morocco.names["de"] == "Marokko"
    assert kosovo.name == "Kosovo"


async def _add_member(store: Store, user_id: int, *, commit: bool) -> Member:
    async with store.uow() as uow:
        member = await uow.members.add(
            telegram_user_id=user_id,
            chat_id=user_id,
            display_name="Test",
            delegation_code="AT",
            role=Role.CONTACT,
            language="en",
            time_zone="Europe/Vienna",
            now=NOW,
        )
        if commit:
            await uow.commit()
    return member


async def test_unit_of_work_rolls_back_unless_committed(store: Store) -> None:
    await _add_member(store, 501, commit=False)
    kept = await _add_member(store, 502, commit=True)
    async with store.uow() as uow:
        assert await uow.members.by_telegram_id(501) is None
        found = await uow.members.by_telegram_id(502)
    assert found == kept
    assert found.delegation.code == "AT" and found.active


async def test_unit_of_work_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.uow() as uow:
            await uow.members.add(
                telegram_user_id=503,
                chat_id=None,
                display_name="X",
                delegation_code="AT",
                role=Role.ADMIN,
                language="en",
                time_zone="UTC",
                now=NOW,
            )
            raise RuntimeError("boom")
    async with store.uow() as uow:
        assert await uow.members.by_telegram_id(503) is None


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        async with store.uow() as uow:
            await uow.members.add(
                telegram_user_id=504,
                chat_id=None,
                display_name="X",
                delegation_code="XX",
                role=Role.ADMIN,
                language="en",
                time_zone="UTC",
                now=NOW,
            )


async def test_audit_log_is_append_only_in_the_database(store: Store) -> None:
    async with store.uow() as uow:
        entry = await uow.audit.append(
            at=NOW, actor_id=None, action="test.appended", subject="x", details={"a": 1}
        )
        await uow.commit()
    for statement in (
        "UPDATE audit_log SET action = 'forged' WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with store.engine.begin() as connection:
                await connection.execute(text(statement), {"id": entry.id})
    async with store.uow() as uow:
        [latest] = await uow.audit.latest(1)
    assert latest == entry and latest.details == {"a": 1}


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(
    sqlite_templates: SqliteTemplates, tmp_path: Path
) -> None:
    store = open_store(sqlite_templates.fresh(tmp_path))
    try:
        async with store.engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await store.dispose()


async def test_default_sqlite_file_is_created_in_the_data_directory(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/nested/dir/emwp.sqlite3")
    try:
        await store.upgrade()
        assert await pending(store.engine) == []
    finally:
        await store.dispose()
    assert (tmp_path / "nested" / "dir" / "emwp.sqlite3").exists()


async def test_migrations_build_exactly_the_schema_the_models_describe(store: Store) -> None:
    assert await model_drift(store.engine) == []


async def test_later_migrations_keep_the_search_and_audit_triggers(store: Store) -> None:
    if store.backend == "sqlite":
        query = "select name from sqlite_master where type = 'trigger'"
    else:
        query = "select tgname from pg_trigger where not tgisinternal"
    async with store.engine.connect() as connection:
        names = set((await connection.execute(text(query))).scalars())
    expected = (
        {
            "audit_log_append_only_UPDATE",
            "audit_log_append_only_DELETE",
            "updates_fts_insert",
            "updates_fts_update",
            "updates_fts_delete",
            "initiatives_fts_insert",
            "initiatives_fts_update",
            "initiatives_fts_delete",
        }
        if store.backend == "sqlite"
        else {"audit_log_append_only"}
    )
    assert expected <= names
