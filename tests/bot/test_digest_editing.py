"""Editing a digest shows what is there (✓ at every step) and keeps it, a pause included; /subscriptions
names what each covers; in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.digests import Frequency, Scope
from bot.domain.vocab import InitiativeType, Role
from bot.services import digests
from bot.services.actors import Actor
from storage.factory import Store
from tests.bot.flows import buttons, last_with_buttons, tap
from tests.bot.test_subscriptions import subscriptions_of, text_of
from tests.conftest import NOW, register
from tests.harness import BotHarness
from tests.storage.test_digests import hold_jobs

LABELS = {
    "en": {
        "edit": "✏️ Edit",
        "everything": "Everything",
        "weekly": "Weekly",
        "tuesday": "Tuesday",
        "yes": "Yes, tell me there was nothing new",
        "confirm": "✅ Subscribe",
        "asked": "<b>Changing this digest</b> (every Tuesday at 09:00 (Europe/Brussels)).",
        "saved": "✅ Changes saved. This digest is still paused: ▶ Resume in /subscriptions sends it again.",
    },
    "fr": {
        "edit": "✏️ Modifier",
        "everything": "Tout",
        "weekly": "Chaque semaine",
        "tuesday": "mardi",
        "yes": "Oui, dites-moi qu'il n'y a rien de nouveau",
        "confirm": "✅ S'abonner",
        "asked": "<b>Modification de ce résumé</b> (chaque mardi à 09:00 (Europe/Brussels)).",
        "saved": "✅ Modifications enregistrées. Ce résumé reste en pause",
    },
}


@pytest.fixture(autouse=True)
def _paused_scheduler(bot: BotHarness) -> None:
    hold_jobs(bot)


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_editing_a_paused_digest_shows_and_keeps_what_is_there(
    bot: BotHarness, store: Store, language: str
) -> None:
    words = LABELS[language]
    member = await register(store, 210, Role.CONTACT, "BE", "Luc", language=language)
    await bot.send(member, "/subscribe")
    for label in (
        words["everything"],
        words["weekly"],
        words["tuesday"],
        "09:00",
        words["yes"],
        words["confirm"],
    ):
        await tap(bot, member, label)
    [made] = await subscriptions_of(store, member.user_id)
    await digests.set_paused(store.uow, Actor(member.user_id), made.id, True, NOW)
    await bot.send(member, "/subscriptions")

    asked = text_of(bot, await tap(bot, member, words["edit"]))

    assert words["asked"] in asked, asked
    assert "✓ " + words["everything"] in buttons(last_with_buttons(bot, member.user_id))
    await tap(bot, member, "✓ " + words["everything"])
    assert "✓ " + words["weekly"] in buttons(last_with_buttons(bot, member.user_id))
    await tap(bot, member, "✓ " + words["weekly"])
    assert "✓ " + words["tuesday"] in buttons(last_with_buttons(bot, member.user_id))
    await tap(bot, member, "✓ " + words["tuesday"])
    assert "✓ 09:00" in buttons(last_with_buttons(bot, member.user_id))
    await tap(bot, member, "12:00")  # the one change
    assert "✓ " + words["yes"] in buttons(last_with_buttons(bot, member.user_id))
    await tap(bot, member, "✓ " + words["yes"])
    saved = text_of(bot, await tap(bot, member, words["confirm"]))

    assert words["saved"] in saved and "Subscribed" not in saved and "Abonné" not in saved
    [kept] = await subscriptions_of(store, member.user_id)
    assert kept.id == made.id and kept.paused, "still paused, as it was"
    assert (kept.frequency, kept.weekday, kept.at.hour, kept.send_empty) == (Frequency.WEEKLY, 1, 12, True)


@pytest.mark.parametrize(
    ("language", "named"),
    [
        ("en", "1. North Africa, Morocco, partnership, MP-MA-2013 · every Monday"),
        ("fr", "1. Afrique du Nord, Maroc, partenariat, MP-MA-2013 · chaque lundi"),
    ],
)
async def test_subscriptions_name_what_each_digest_covers(
    bot: BotHarness, store: Store, language: str, named: str
) -> None:
    member = await register(store, 211, Role.CONTACT, "BE", "Luc", language=language)
    async with store.uow() as uow:
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
    assert morocco is not None
    scope = Scope(False, ("north_africa",), ("MA",), (InitiativeType.PARTNERSHIP,), (morocco.id,))
    await digests.subscribe(
        store.uow, Actor(member.user_id), scope, Frequency.WEEKLY, 0, dt.time(8), True, NOW
    )

    listing = text_of(bot, await bot.send(member, "/subscriptions"))

    assert named in listing, listing
    assert "north_africa" not in listing and "#" not in listing
