"""/search counts and pages every matching initiative, and finds by a country's name in any EU language."""

from __future__ import annotations

import re

import pytest

from bot.console.updates import Identity
from bot.domain.vocab import Role
from storage.factory import Store
from tests.bot.flows import buttons, last_with_buttons, tap
from tests.conftest import register
from tests.harness import BotHarness

HEADER = re.compile(r"(\d+) initiatives?\S*, (\d+) .*?page (\d+) (?:of|sur) (\d+)")
REF = re.compile(r"^\d+\. <code>([A-Z0-9-]+)</code>", re.MULTILINE)


async def every_page(bot: BotHarness, who: Identity, typed: str) -> tuple[int, list[str], list[str]]:
    """/search, then ▶ to the last page: (initiatives counted, refs listed, numbers on the buttons)."""
    [page] = bot.texts(await bot.send(who, f"/search {typed}"))
    match = HEADER.search(page)
    assert match, page
    counted, pages = int(match.group(1)), int(match.group(4))
    refs, numbers = (
        REF.findall(page),
        [b for b in buttons(last_with_buttons(bot, who.user_id)) if b.isdigit()],
    )
    for _ in range(pages - 1):
        [page] = bot.texts(await tap(bot, who, "▶"))
        refs += REF.findall(page)
        numbers += [b for b in buttons(last_with_buttons(bot, who.user_id)) if b.isdigit()]
    assert "▶" not in buttons(last_with_buttons(bot, who.user_id))
    return counted, refs, numbers


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_every_matching_initiative_is_counted_and_reachable_page_by_page(
    bot: BotHarness, store: Store, language: str
) -> None:
    member = await register(store, 191, Role.CONTACT, "BE", "Luc", language=language)

    counted, refs, numbers = await every_page(bot, member, "readmission")

    assert counted > 5, "more than one page of initiatives"
    assert len(refs) == len(set(refs)) == counted, refs
    assert numbers == [str(n) for n in range(1, counted + 1)], "numbers go on across pages, as in the text"


@pytest.mark.parametrize(
    ("language", "typed"),
    [("en", "Türkiye"), ("fr", "Turquie"), ("en", "Türkei"), ("fr", "statement Turquie")],
)
async def test_a_countrys_name_in_any_eu_language_finds_its_initiatives(
    bot: BotHarness, store: Store, language: str, typed: str
) -> None:
    member = await register(store, 190, Role.CONTACT, "BE", "Luc", language=language)

    _, refs, _ = await every_page(bot, member, typed)

    assert "STMT-TR-2016" in refs, refs


async def test_a_word_that_is_no_country_still_needs_every_word(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    [found] = bot.texts(await bot.send(people["contact"], "/search Türkiye zzzqqq"))
    assert "Nothing found" in found
