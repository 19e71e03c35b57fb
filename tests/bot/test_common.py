"""/start, /help, /cancel and the fallbacks, for every role, through real updates."""

from __future__ import annotations

import pytest

from bot.console.updates import Identity
from bot.domain.access import ADMIN_COMMANDS, commands_for
from bot.domain.vocab import Role
from handlers.menu import SERVED_COMMANDS
from storage.factory import Store
from tests.conftest import register
from tests.harness import BotHarness

ROLES = ["admin", "contact", "observer", "revoked", "guest"]


async def test_guest_start_explains_how_to_get_access(bot: BotHarness, people: dict[str, Identity]) -> None:
    [text] = bot.texts(await bot.send(people["guest"], "/start"))
    assert "closed to the working party's members" in text
    assert "invitation link" in text


async def test_member_start_greets_by_name_delegation_and_role(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    [text] = bot.texts(await bot.send(people["contact"], "/start"))
    assert "Welcome back, Claire (FR, contact)" in text
    assert "/help" in text


async def test_revoked_member_is_told_access_was_withdrawn(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    [text] = bot.texts(await bot.send(people["revoked"], "/start"))
    assert "withdrawn" in text
    assert "Welcome back" not in text


async def test_start_with_unknown_token_registers_nobody(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    [text] = bot.texts(await bot.send(people["guest"], "/start bm90LWEtdG9rZW4"))
    assert "not valid" in text
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(people["guest"].user_id) is None


@pytest.mark.parametrize("role", ROLES)
async def test_help_lists_exactly_the_served_commands_of_the_role(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    [text] = bot.texts(await bot.send(people[role], "/help"))
    live_role = None if role in ("guest", "revoked") else Role(role)
    listed = {line.split(" ", 1)[0][1:] for line in text.splitlines() if line.startswith("/")}
    assert listed == set(commands_for(live_role)) & SERVED_COMMANDS
    assert not listed & set(ADMIN_COMMANDS) or role == "admin"


@pytest.mark.parametrize("role", ROLES)
async def test_cancel_outside_a_flow_says_there_is_nothing_to_cancel(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    [text] = bot.texts(await bot.send(people[role], "/cancel"))
    assert "nothing to cancel" in text


@pytest.mark.parametrize("role", ROLES)
async def test_unknown_command_gets_a_short_helpful_answer(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    [text] = bot.texts(await bot.send(people[role], "/frobnicate now"))
    assert "I don't know the command /frobnicate" in text


async def test_free_text_points_members_to_help_and_guests_to_start(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    [member_reply] = bot.texts(await bot.send(people["observer"], "what about Morocco?"))
    [guest_reply] = bot.texts(await bot.send(people["guest"], "hello"))
    assert "/help" in member_reply
    assert "/start" in guest_reply


async def test_replies_are_html_with_user_text_escaped(bot: BotHarness, store: Store) -> None:
    who = await register(store, 120, Role.CONTACT, "IT", name="<b>Tom</b> & Jerry")
    calls = await bot.send(who, "/start")
    [call] = [c for c in calls if c.method == "sendMessage"]
    assert call.params["parse_mode"] == "HTML"
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; Jerry" in call.params["text"]


async def test_unknown_command_text_is_escaped(bot: BotHarness, people: dict[str, Identity]) -> None:
    [text] = bot.texts(await bot.send(people["contact"], "/x<script>"))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text


async def test_french_speakers_get_french_texts(bot: BotHarness, store: Store) -> None:
    guest = Identity(130, "Jeanne", language_code="fr")
    member = await register(store, 131, Role.CONTACT, "BE", name="Luc", language="fr")
    [guest_text] = bot.texts(await bot.send(guest, "/start"))
    [member_text] = bot.texts(await bot.send(member, "/cancel"))
    assert "réservé aux membres" in guest_text
    assert "rien à annuler" in member_text


def group_identity(user_id: int, name: str) -> Identity:
    """A person writing in the working party's supergroup."""
    return Identity(user_id, name, chat_id=-100123, chat_type="supergroup", chat_title="EMWP")


async def test_in_a_group_start_and_help_show_no_member_data(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    who = group_identity(people["admin"].user_id, "Ana")
    [start] = bot.texts(await bot.send(who, "/start"))
    [help_text] = bot.texts(await bot.send(who, "/help"))
    assert "TLP:CLEAR" in start
    assert "Ana" not in start and "GSC" not in start
    assert "TLP:CLEAR" in help_text


async def test_in_a_group_free_text_and_other_bots_commands_get_no_reply(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    who = group_identity(people["contact"].user_id, "Claire")
    assert bot.texts(await bot.send(who, "good morning all")) == []
    assert bot.texts(await bot.send(who, "/poll@some_other_bot")) == []
    assert bot.texts(await bot.send(who, f"/poll@{bot.app.bot.username}")) == [], "silence: no noise for all"
    assert bot.texts(await bot.send(who, "/frobnicate")) == []


async def test_start_sets_the_guest_command_menu(bot: BotHarness) -> None:
    menus = [c for c in bot.api.calls if c.method == "setMyCommands"]
    assert menus, "post_init sets the command menus"
    default = [
        c
        for c in menus
        if c.params.get("scope", {}).get("type") == "default" and "language_code" not in c.params
    ]
    # /privacy in every menu: Telegram apps send it when a user opens the bot's privacy policy.
    assert [cmd["command"] for cmd in default[0].params["commands"]] == ["start", "help", "privacy", "cancel"]


@pytest.mark.parametrize("role", ROLES)
async def test_a_stale_or_forged_button_is_refused_politely(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    who = people[role]
    message = {"message_id": 5, "date": 0, "chat": who.chat, "text": "old"}
    calls = await bot.press(who, message, "adm:revoke:101")
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "no longer available" in answer.params["text"]
    assert [c.method for c in calls] == ["answerCallbackQuery"]


async def test_in_a_private_chat_every_command_gets_an_answer(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    """In a private chat there is no other bot: `/@0` or `/poll@other` still gets a reply."""
    for text in ("/@0", "/poll@some_other_bot", "/"):
        [reply_text] = bot.texts(await bot.send(people["contact"], text))
        assert reply_text
    [other] = bot.texts(await bot.send(people["contact"], "/help@some_other_bot"))
    assert other == "/help was addressed to @some_other_bot, another bot. /help lists what I can do."
    [garbled] = bot.texts(await bot.send(people["contact"], "/x@0"))
    assert garbled.startswith("I don't know the command /x.")
