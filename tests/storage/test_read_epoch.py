"""The read epoch moves with every change a read rule depends on, whichever path makes it (triggers)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select, update

from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.posting import Draft, FollowKind
from bot.domain.vocab import MemberStatus, Role, Tlp, UpdateKind
from storage.factory import Store
from storage.migrate import upgrade
from storage.models import DelegationRow, InitiativeRow, NoticeRow
from storage.uow import SqlUnitOfWork
from tests.conftest import NOW, register
from tests.storage.test_search import _downgrade_to

Change = Callable[[SqlUnitOfWork, int, int], Awaitable[object]]


async def epoch(store: Store) -> int:
    async with store.uow() as uow:
        return await uow.outbox.epoch()


async def test_every_change_a_read_rule_depends_on_moves_the_epoch(store: Store) -> None:
    await register(store, 501, Role.CONTACT, "FR", "Fanny")
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(501)
        assert member is not None
        posted = await uow.updates.add(Draft("k", 5, UpdateKind.OTHER, "t"), member.id, "FR", NOW)
        assert posted is not None
        draft = NoticeDraft("n", "notice", Audience(AudienceKind.EVERYONE), NOW)
        assert await uow.notices.add(draft, member, 1, NOW, dispatched=True) is not None
        await uow.commit()
    ident, update_id = member.id, posted.id

    async def notice_withdrawn(uow: SqlUnitOfWork, _m: int, _u: int) -> object:
        session = uow._session
        assert session is not None
        return await session.execute(update(NoticeRow).values(status="withdrawn"))

    async def delegation_kind(uow: SqlUnitOfWork, _m: int, _u: int) -> object:
        session = uow._session
        assert session is not None
        return await session.execute(
            update(DelegationRow).where(DelegationRow.code == "FR").values(kind="observer")
        )

    changes: list[tuple[str, Change]] = [
        ("role", lambda uow, m, _u: uow.members.change(m, NOW, role=Role.OBSERVER)),
        ("status", lambda uow, m, _u: uow.members.change(m, NOW, status=MemberStatus.REVOKED)),
        ("delegation", lambda uow, m, _u: uow.members.change(m, NOW, delegation_code="DE")),
        ("edit", lambda uow, m, u: uow.updates.edit(u, "new text", m, NOW)),
        ("label and readers", lambda uow, _m, u: uow.updates.relabel(u, Tlp.RED, frozenset({"IT"}), NOW)),
        ("readers dropped", lambda uow, _m, u: uow.updates.relabel(u, Tlp.AMBER, frozenset(), NOW)),
        ("withdraw", lambda uow, _m, u: uow.updates.withdraw(u, NOW)),
        ("follow", lambda uow, m, _u: uow.follows.follow(m, FollowKind.COUNTRY, "MA", NOW)),
        ("unfollow", lambda uow, m, _u: uow.follows.unfollow(m, FollowKind.COUNTRY, "MA")),
        ("notice status", notice_withdrawn),
        ("delegation kind", delegation_kind),
    ]
    for name, change in changes:
        before = await epoch(store)
        async with store.uow() as uow:
            await change(uow, ident, update_id)
            await uow.commit()
        assert await epoch(store) > before, name
    # What no read rule depends on leaves it where it is.
    before = await epoch(store)
    async with store.uow() as uow:
        await uow.members.change(ident, NOW, language="fr", time_zone="Europe/Paris", reachable=False)
        await uow.commit()
    assert await epoch(store) == before


async def test_the_migration_round_trip_keeps_the_triggers_and_rebuilds_activity(store: Store) -> None:
    """0012 down and up again: the epoch's triggers come back, and what was posted is counted per
    reading class from the updates themselves."""
    await register(store, 501, Role.CONTACT, "FR", "Fanny")
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(501)
        assert member is not None
        draft = Draft("k", 5, UpdateKind.OTHER, "t", tlp=Tlp.AMBER)
        assert await uow.updates.add(draft, member.id, "FR", NOW) is not None
        await uow.commit()
    async with store.engine.begin() as connection:
        await connection.run_sync(_downgrade_to, "0011")
    await upgrade(store.engine)
    async with store.engine.connect() as connection:
        row = (
            await connection.execute(
                select(InitiativeRow.open_activity_at, InitiativeRow.amber_activity_at).where(
                    InitiativeRow.id == 5
                )
            )
        ).one()
    assert row.open_activity_at is None
    assert row.amber_activity_at is not None and row.amber_activity_at.replace(tzinfo=None) == NOW.replace(
        tzinfo=None
    )
    before = await epoch(store)
    async with store.uow() as uow:
        await uow.members.change(member.id, NOW, role=Role.OBSERVER)
        await uow.commit()
    assert await epoch(store) > before
