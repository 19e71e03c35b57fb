"""◀ Back: an initiative opened from a page of /initiatives, /search or a /country profile goes back to that
same page (same filter, query and page); an update opened from an initiative goes back to the initiative."""

from __future__ import annotations

import copy
import re

import pytest

from bot.console.updates import Identity
from bot.domain.vocab import Role
from handlers.buttons import OpenFromCountry, OpenFromList, OpenFromSearch, OpenUpdateOf
from storage.factory import Store
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.bot.test_posting import REF, post
from tests.conftest import register
from tests.harness import BotHarness

STALE = "This button is no longer available"
FIRST_REF = re.compile(r"^(\d+)\. <code>([A-Z0-9-]+)</code>", re.MULTILINE)
PAGE_TWO = re.compile(r"page 2 (?:of|sur) \d+")


async def from_page_two_and_back(bot: BotHarness, who: Identity, command: str, back: str) -> None:
    """`command`, ▶ to page 2, open its first numbered initiative, then ◀ Back: page 2 again, in place."""
    await bot.send(who, command)
    await tap(bot, who, "▶")
    page_two = copy.deepcopy(last_with_buttons(bot, who.user_id))  # the server edits its messages in place
    assert PAGE_TWO.search(page_two["text"]) or "◀" in buttons(page_two), page_two["text"]
    number, ref = FIRST_REF.findall(page_two["text"])[0]
    await tap(bot, who, number)
    detail = last_with_buttons(bot, who.user_id)
    assert f"<code>{ref}</code> · " in detail["text"], "the initiative of that number"
    assert detail["message_id"] == page_two["message_id"], "the details replace the list"
    calls = await tap(bot, who, back)
    assert [c.method for c in calls if c.method != "answerCallbackQuery"] == ["editMessageText"]
    again = last_with_buttons(bot, who.user_id)
    assert again["message_id"] == page_two["message_id"]
    assert again["text"] == page_two["text"], "the same list, filter and page"
    assert buttons(again) == buttons(page_two)


async def test_back_from_page_two_of_a_filtered_list(bot: BotHarness, people: dict[str, Identity]) -> None:
    await from_page_two_and_back(bot, people["contact"], "/initiatives type:agreement", "◀ Back")
    assert "agreement" in last_with_buttons(bot, people["contact"].user_id)["text"].split("\n")[0]


@pytest.mark.parametrize(("language", "back"), [("en", "◀ Back"), ("fr", "◀ Retour")])
async def test_back_from_page_two_of_search_results(
    bot: BotHarness, store: Store, language: str, back: str
) -> None:
    member = await register(store, 191, Role.CONTACT, "BE", "Luc", language=language)
    await from_page_two_and_back(bot, member, "/search readmission", back)


@pytest.mark.parametrize(("language", "back"), [("en", "◀ Back"), ("fr", "◀ Retour")])
async def test_back_from_page_two_of_a_country_profile(
    bot: BotHarness, store: Store, language: str, back: str
) -> None:
    member = await register(store, 192, Role.CONTACT, "BE", "Luc", language=language)
    await from_page_two_and_back(bot, member, "/country Morocco", back)


async def test_back_from_an_update_to_its_initiative(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    await post(bot, contact, "Talks resumed in Rabat")
    await bot.send(contact, f"/initiative {REF}")
    detail = copy.deepcopy(last_with_buttons(bot, contact.user_id))
    await tap(bot, contact, "✉ 1")
    opened = last_with_buttons(bot, contact.user_id)
    assert opened["text"] != detail["text"]
    assert "Talks resumed in Rabat" in opened["text"] and "◀ Back" in buttons(opened)
    await tap(bot, contact, "◀ Back")
    again = last_with_buttons(bot, contact.user_id)
    assert again["message_id"] == detail["message_id"]
    assert again["text"] == detail["text"]
    assert "✉ 1" in buttons(again)


async def test_forged_back_data_is_refused_as_stale(bot: BotHarness, people: dict[str, Identity]) -> None:
    contact = people["contact"]
    await bot.send(contact, "/initiatives")
    message = last_with_buttons(bot, contact.user_id)
    before = message["text"]
    ident = int(buttons(message)["1"].split(":")[2])
    forged = [
        OpenFromList(ident, 1, "ZZ.99.xx.yy").data,  # a filter the list never makes
        OpenFromList(ident, 1, "MA.-.-").data,
        f"ini:l:{ident}:1",  # its page's filter missing
        f"ini:l:{ident}:x:-.-.-.-",
        OpenFromSearch(ident, "deadbeef", 1).data,  # a search this member never made
        f"sro:{ident}:deadbeef",
        OpenFromCountry(ident, "mar", 1).data,
        OpenFromCountry(ident, "M1", 1).data,
        f"cto:{ident}:MA",
        f"upd:of:{ident}",
        "upd:of:abc:1",
        OpenUpdateOf(1, 1).data + ":1",
    ]
    for data in forged:
        calls = await bot.press(contact, message, data)
        said = alerts(calls)
        assert len(said) == 1 and STALE in said[0], (data, said)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    assert bot.api.chat(contact.user_id).messages[message["message_id"]]["text"] == before
