"""Fixtures: real stores on SQLite and PostgreSQL, the real bot, and people of every role."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.console.updates import Identity
from bot.domain.vocab import Role
from storage.factory import Store, open_store
from tests.databases import PostgresTemplates, SqliteTemplates, backends
from tests.harness import BotHarness, FixedClock

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    """The migrated, seeded SQLite template of this test run."""
    return SqliteTemplates(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_templates() -> Iterator[PostgresTemplates]:
    """The migrated, seeded PostgreSQL template of this test run."""
    templates = PostgresTemplates()
    yield templates
    templates.close()


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated and seeded database for one test, on each backend in turn."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_templates").fresh(tmp_path)
        return
    templates: PostgresTemplates = request.getfixturevalue("postgres_templates")
    url = templates.fresh()
    yield url
    templates.drop(url)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The store on this test's database."""
    opened = open_store(database_url)
    yield opened
    await opened.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at a known instant."""
    return FixedClock(NOW)


@pytest.fixture
async def bot(store: Store, clock: FixedClock) -> AsyncIterator[BotHarness]:
    """The real application on the real store; the test fails if any handler raised."""
    harness = BotHarness(store, clock)
    await harness.start()
    yield harness
    await harness.stop()
    assert not harness.errors, f"handler errors: {harness.errors!r}"


async def register(
    store: Store, user_id: int, role: Role, delegation: str, name: str = "Member", language: str = "en"
) -> Identity:
    """Register a member directly in the store and return their Telegram identity."""
    async with store.uow() as uow:
        await uow.members.add(
            telegram_user_id=user_id,
            chat_id=user_id,
            display_name=name,
            delegation_code=delegation,
            role=role,
            language=language,
            time_zone="Europe/Brussels",
            now=NOW,
        )
        await uow.commit()
    return Identity(user_id, name, language_code=language)


WORKING_GROUP = -100123  # the working party's supergroup in tests


async def register_group(store: Store, chat_id: int = WORKING_GROUP, title: str = "EMWP") -> None:
    """Register a group in the store, as an admin adding the bot to it does."""
    async with store.uow() as uow:
        await uow.groups.save(chat_id, title, None, NOW)
        await uow.commit()


@pytest.fixture
async def working_group(store: Store) -> int:
    """The working party's supergroup, registered: the bot serves it (TLP:CLEAR, members only)."""
    await register_group(store)
    return WORKING_GROUP


@pytest.fixture
async def people(store: Store) -> dict[str, Identity]:
    """One person per role: admin (GSC), contact (FR), observer (FRONTEX), revoked (DE), guest."""
    from sqlalchemy import update

    from storage.models import MemberRow

    admin = await register(store, 101, Role.ADMIN, "GSC", "Ana")
    contact = await register(store, 102, Role.CONTACT, "FR", "Claire")
    observer = await register(store, 103, Role.OBSERVER, "FRONTEX", "Otto")
    revoked = await register(store, 104, Role.CONTACT, "DE", "Rolf")
    async with store.engine.begin() as connection:
        await connection.execute(
            update(MemberRow).where(MemberRow.telegram_user_id == 104).values(status="revoked")
        )
    guest = Identity(105, "Gus")
    return {"admin": admin, "contact": contact, "observer": observer, "revoked": revoked, "guest": guest}
