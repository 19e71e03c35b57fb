"""A digest of everything says so when nothing happened, and still shows what is coming, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.specs import EventSpec
from bot.domain.vocab import EventKind, Role
from storage.factory import Store
from tests.bot.flows import tap
from tests.bot.test_subscriptions import text_of
from tests.conftest import NOW, register
from tests.harness import BotHarness
from tests.storage.test_digests import hold_jobs


@pytest.fixture(autouse=True)
def _paused_scheduler(bot: BotHarness) -> None:
    hold_jobs(bot)


@pytest.mark.parametrize(
    ("language", "labels", "nothing", "coming"),
    [
        (
            "en",
            ("Everything", "Weekly", "Monday", "08:00", "Yes, tell me there was nothing new"),
            "nothing new in the working party: no update, new initiative or status change.",
            "<b>Coming two weeks</b>",
        ),
        (
            "fr",
            ("Tout", "Chaque semaine", "lundi", "08:00", "Oui, dites-moi qu'il n'y a rien de nouveau"),
            "rien de nouveau dans le groupe de travail\u202f: ni mise à jour, ni nouvelle initiative",
            "<b>Les deux prochaines semaines</b>",
        ),
    ],
)
async def test_a_quiet_week_of_everything_is_not_about_what_you_follow_and_shows_what_is_coming(
    bot: BotHarness, store: Store, language: str, labels: tuple[str, ...], nothing: str, coming: str
) -> None:
    member = await register(store, 180, Role.CONTACT, "BE", "Luc", language=language)
    async with store.uow() as uow:
        await uow.events.save(
            EventSpec(
                "EU–Morocco dialogue round", EventKind.MEETING, NOW + dt.timedelta(days=3), country_code="MA"
            )
        )
        await uow.commit()
    await bot.send(member, "/subscribe")
    for label in labels:
        calls = await tap(bot, member, label)

    preview = text_of(bot, calls)
    assert nothing in preview
    assert "what you follow" not in preview and "ce que vous suivez" not in preview
    assert coming in preview and "EU–Morocco dialogue round" in preview
    digest = text_of(bot, await bot.send(member, "/digest"))
    assert nothing in digest and "EU–Morocco dialogue round" in digest
