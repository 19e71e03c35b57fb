"""Dead ends removed: a guided step told the wrong kind of input says what it wants and waits; a group
is told to write privately with a button that opens the private chat."""

from __future__ import annotations

import pytest

from bot.domain.vocab import Role
from storage.factory import Store
from tests.bot.flows import buttons, last_with_buttons, tap
from tests.bot.test_common import group_identity
from tests.conftest import register
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
