"""Dead ends removed: a guided step told the wrong kind of input says what it wants and waits; a group
is told to write privately with a button that opens the private chat."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.console.updates import Identity
from bot.domain.vocab import Role, Tlp
from storage.factory import Store
from tests.bot.flows import buttons, last_with_buttons, tap
from tests.bot.test_common import group_identity
from tests.conftest import NOW, register
from tests.harness import BotHarness


@pytest.mark.parametrize(
    ("language", "everything", "said"),
    [
        ("en", "Everything", "This step is waiting for the answer to the question above"),
        ("fr", "Tout", "Cette étape attend la réponse à la question ci-dessus"),
    ],
)
async def test_a_step_given_the_wrong_kind_of_input_says_what_it_wants_and_waits(
    bot: BotHarness, store: Store, language: str, everything: str, said: str
) -> None:
    member = await register(store, 230, Role.CONTACT, "BE", "Luc", language=language)
    await bot.send(member, "/subscribe")

    [answer] = bot.texts(await bot.send(member, "weekly please"))  # the step wants a button

    assert said in answer, answer
    assert "/cancel" in answer
    assert everything in buttons(last_with_buttons(bot, member.user_id)), "the question is still there"
    asked = bot.texts(await tap(bot, member, everything))
    assert asked, "the flow went on from where it was"


@pytest.mark.parametrize(
    ("language", "label"), [("en", "💬 Write to me privately"), ("fr", "💬 M'écrire en privé")]
)
async def test_write_to_me_privately_comes_with_a_button_that_opens_the_chat(
    bot: BotHarness, store: Store, working_group: int, language: str, label: str
) -> None:
    member = await register(store, 231, Role.CONTACT, "BE", "Luc", language=language)
    calls = await bot.send(group_identity(member.user_id, "Luc"), "/subscribe")
    [sent] = [c for c in calls if c.method == "sendMessage"]
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert button["text"] == label
    assert button["url"] == f"https://t.me/{bot.app.bot.username}"


@pytest.mark.parametrize(
    ("role", "sees"), [(Role.ADMIN, True), (Role.CONTACT, False), (Role.OBSERVER, False)]
)
async def test_curators_notes_are_for_admins_only(
    bot: BotHarness, store: Store, role: Role, sees: bool
) -> None:
    member = await register(store, 232, role, "GSC" if role is Role.ADMIN else "BE", "Ana")
    [detail] = bot.texts(await bot.send(member, "/initiative MP-MD-2008"))
    assert ("First pilot MP (with Cape Verde)." in detail) is sees
    assert ("\nNotes: " in detail) is sees


@pytest.mark.parametrize(("language", "label"), [("en", "🔗 Link to share"), ("fr", "🔗 Lien à partager")])
async def test_an_initiative_is_shared_with_a_deep_link_that_opens_it_for_a_member(
    bot: BotHarness, store: Store, language: str, label: str
) -> None:
    member = await register(store, 233, Role.CONTACT, "BE", "Luc", language=language)
    [detail] = bot.texts(await bot.send(member, "/initiative MP-MA-2013"))
    url = next(
        b["url"]
        for row in last_with_buttons(bot, member.user_id)["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == label
    )
    assert url == f"https://t.me/{bot.app.bot.username}?start=ini-MP-MA-2013"
    colleague = await register(store, 234, Role.OBSERVER, "FRONTEX", "Otto", language=language)

    [opened] = bot.texts(await bot.send(colleague, "/start ini-MP-MA-2013"))

    assert opened.split("\n")[:2] == detail.split("\n")[:2]
    guest = await bot.send(Identity(235, "Gus"), "/start ini-MP-MA-2013")
    assert "MP-MA-2013" not in " ".join(bot.texts(guest)), "a guest is not shown it"


async def test_the_numbered_buttons_match_numbered_updates(bot: BotHarness, store: Store) -> None:
    from tests.bot.test_browse import add_update

    member = await register(store, 236, Role.CONTACT, "FR", "Claire")
    for n in range(3):
        when = NOW - dt.timedelta(hours=n + 1)
        await add_update(store, "MP-MA-2013", 236, "FR", Tlp.GREEN, f"U{n} note", when)
    [detail] = bot.texts(await bot.send(member, "/initiative MP-MA-2013"))
    labels = [b for b in buttons(last_with_buttons(bot, member.user_id)) if b.startswith("✉")]
    assert labels == ["✉ 1", "✉ 2", "✉ 3"]
    for n, label in enumerate(labels):
        assert f"<b>{label}</b> · " in detail and f"U{n} note" in detail.split(f"<b>{label}</b>")[1]
