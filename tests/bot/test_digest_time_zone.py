"""A member who changes time zone keeps each digest at its local hour, at once and after a restart."""

from __future__ import annotations

import pytest

from bot.console.updates import Identity
from bot.domain.vocab import Role
from bot.services import digests
from bot.services.actors import Actor
from handlers.jobs import rebuild
from storage.factory import Store
from tests.bot.flows import tap
from tests.bot.test_subscriptions import due_of, subscribe_everything, subscriptions_of, text_of
from tests.conftest import NOW, register
from tests.harness import BotHarness
from tests.storage.test_digests import hold_jobs, utc


@pytest.fixture(autouse=True)
def _paused_scheduler(bot: BotHarness) -> None:
    hold_jobs(bot)


async def test_a_new_time_zone_moves_existing_digests_to_the_same_local_hour(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    daily = await subscribe_everything(bot, contact, time="08:00")
    paused = await subscribe_everything(bot, contact, time="17:00")
    await digests.set_paused(store.uow, Actor(contact.user_id), paused.id, True, NOW)
    assert daily.next_due_at == utc(2026, 11, 28, 7)  # 08:00 in Brussels (CET)

    await bot.send(contact, "/settings")
    await tap(bot, contact, "Europe/Lisbon")

    moved = {s.id: s for s in await subscriptions_of(store, contact.user_id)}
    assert moved[daily.id].next_due_at == utc(2026, 11, 28, 8), "08:00 in Lisbon is 08:00 UTC in winter"
    assert moved[paused.id].next_due_at == utc(2026, 11, 27, 16), "a paused one moves when it is resumed"
    assert due_of(bot, daily.id) == utc(2026, 11, 28, 8), "the job moved with it"
    listing = text_of(bot, await bot.send(contact, "/subscriptions"))
    assert "every day at 08:00 (Europe/Lisbon)" in listing
    assert "2026-11-28 08:00 (Europe/Lisbon)" in listing

    restarted = BotHarness(store, bot.clock)  # the bot restarts: its jobs are rebuilt from the store
    await restarted.start()
    try:
        hold_jobs(restarted)
        assert await rebuild(restarted.app) == 1
        assert due_of(restarted, daily.id) == utc(2026, 11, 28, 8), "and so does the job after a restart"
    finally:
        await restarted.stop()


async def test_a_typed_zone_moves_them_too_in_french(bot: BotHarness, store: Store) -> None:
    member = await register(store, 170, Role.CONTACT, "BE", "Luc", language="fr")
    await bot.send(member, "/subscribe")
    await tap(bot, member, "Tout")
    await tap(bot, member, "Chaque jour")
    await tap(bot, member, "08:00")
    await tap(bot, member, "Oui, dites-moi qu'il n'y a rien de nouveau")
    await tap(bot, member, "✅ S'abonner")
    [daily] = await subscriptions_of(store, member.user_id)
    await bot.send(member, "/settings")
    await tap(bot, member, "Autre fuseau horaire…")

    await bot.send(member, "Europe/Athens")

    [moved] = await subscriptions_of(store, member.user_id)
    assert daily.next_due_at == utc(2026, 11, 28, 7)
    assert moved.next_due_at == utc(2026, 11, 28, 6), "08:00 in Athens is 06:00 UTC in winter"
    assert due_of(bot, moved.id) == utc(2026, 11, 28, 6)
