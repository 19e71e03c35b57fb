"""Dates and times written the usual European ways, in English and French, read and shown back."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.moments import read_clock, read_day, read_moment
from bot.domain.vocab import Role
from storage.factory import Store
from tests.bot.flows import tap
from tests.conftest import NOW, register
from tests.harness import BotHarness


@pytest.mark.parametrize(
    ("language", "labels", "typed", "shown"),
    [
        ("en", ("Everyone", "Another time…"), "tomorrow 9am", "sending 2026-11-28 09:00 (Europe/Brussels)"),
        (
            "en",
            ("Everyone", "Another time…"),
            "05/12/2026 09:00",
            "sending 2026-12-05 09:00 (Europe/Brussels)",
        ),
        (
            "fr",
            ("Tout le monde", "Un autre moment…"),
            "demain 9h",
            "envoi le 28 novembre 2026 à 09:00 (Europe/Brussels)",
        ),
        (
            "fr",
            ("Tout le monde", "Un autre moment…"),
            "le 5 décembre à 7h30",
            "envoi le 5 décembre 2026 à 07:30",
        ),
    ],
)
async def test_a_notices_time_is_read_as_written_and_shown_before_sending(
    bot: BotHarness, store: Store, language: str, labels: tuple[str, str], typed: str, shown: str
) -> None:
    admin = await register(store, 220, Role.ADMIN, "GSC", "Ada", language=language)
    await bot.send(admin, "/broadcast")
    await bot.send(admin, "Plenary moved")
    for label in labels:
        await tap(bot, admin, label)

    [preview] = bot.texts(await bot.send(admin, typed))

    assert shown in preview, preview


@pytest.mark.parametrize(
    ("language", "edit", "field", "typed", "expected"),
    [
        ("en", "✏️ Edit", "Start date", "31/12/2014", dt.date(2014, 12, 31)),
        ("fr", "✏️ Modifier", "Date de début", "7 décembre 2014", dt.date(2014, 12, 7)),
        ("fr", "✏️ Modifier", "Date de début", "05/12/2014", dt.date(2014, 12, 5)),
    ],
)
async def test_an_initiatives_date_is_read_day_first_in_either_language(
    bot: BotHarness, store: Store, language: str, edit: str, field: str, typed: str, expected: dt.date
) -> None:
    admin = await register(store, 221, Role.ADMIN, "GSC", "Ada", language=language)
    await bot.send(admin, "/initiative MP-MA-2013")
    await tap(bot, admin, edit)
    await tap(bot, admin, field)

    _saved, detail = bot.texts(await bot.send(admin, typed))

    assert expected.isoformat() in detail, "the detail shows the date as understood"
    async with store.uow() as uow:
        found = await uow.initiatives.by_ref("MP-MA-2013")
    assert found is not None and found.start_date == expected


def test_the_reading_rules() -> None:
    now = NOW
    assert read_moment("31/02/2026 09:00", now, "Europe/Paris") is None
    assert read_moment("Paris", now, "Europe/Paris") is None
    assert read_day("12/01/2026", now.date()) == dt.date(2026, 1, 12), "day first"
    assert read_day("2026-02-30", now.date()) is None
    assert read_clock("7h45") == dt.time(7, 45)
    assert read_clock("7:45pm") == dt.time(19, 45)
    assert read_clock("17 h") == dt.time(17)
    assert read_clock("25:99") is None
    assert read_clock("demain") is None


@pytest.mark.parametrize(
    ("language", "other", "typed", "said", "zone"),
    [
        (
            "en",
            "Another time zone…",
            "Paris",
            "“Paris”: your time zone is now Europe/Paris (it is 10:30 there).",
            "Europe/Paris",
        ),
        (
            "fr",
            "Autre fuseau horaire…",
            "Lisbonne",
            "«\u202fLisbonne\u202f»\u202f: votre fuseau horaire est maintenant Europe/Lisbon",
            "Europe/Lisbon",
        ),
        (
            "fr",
            "Autre fuseau horaire…",
            "Grèce",
            "maintenant Europe/Athens (il y est 11:30)",
            "Europe/Athens",
        ),
        (
            "en",
            "Another time zone…",
            "new york",
            "your time zone is now America/New_York",
            "America/New_York",
        ),
    ],
)
async def test_a_time_zone_by_city_or_country_is_read_and_said_back(
    bot: BotHarness, store: Store, language: str, other: str, typed: str, said: str, zone: str
) -> None:
    member = await register(store, 222, Role.CONTACT, "BE", "Luc", language=language)
    await bot.send(member, "/settings")
    await tap(bot, member, other)

    [answer] = bot.texts(await bot.send(member, typed))

    assert said in answer, answer
    async with store.uow() as uow:
        found = await uow.members.by_telegram_id(member.user_id)
    assert found is not None and found.time_zone == zone


async def test_french_dates_are_written_the_french_way(bot: BotHarness, store: Store) -> None:
    member = await register(store, 223, Role.CONTACT, "BE", "Luc", language="fr")
    await bot.send(member, "/subscribe")
    for label in ("Tout", "Chaque jour", "08:00", "Oui, dites-moi qu'il n'y a rien de nouveau"):
        await tap(bot, member, label)
    [saved] = bot.texts(await tap(bot, member, "✅ S'abonner"))
    assert "Le premier résumé arrivera le 28 novembre 2026 à 08:00 (Europe/Brussels)." in saved
    [digest] = bot.texts(await bot.send(member, "/digest"))
    assert digest.startswith("📰 <b>Résumé EMWP</b> · du 20/11/2026 au 27/11/2026"), digest
