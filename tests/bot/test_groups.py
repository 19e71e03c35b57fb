"""Groups: the bot serves a group only after an admin added it there; anyone else's group gets a goodbye.

Everything goes through real `my_chat_member` updates and real commands and presses in the group chat.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.errors import NotAllowed
from bot.domain.model import Update, Viewer
from bot.domain.posting import Draft
from bot.domain.vocab import Role, Tlp, UpdateKind
from bot.services.posting import update_view
from handlers.buttons import OpenInitiative, OpenUpdate, ShowMember
from handlers.callback_data import ChatId
from handlers.groups import AskUnregister, GroupsList, Unregister
from handlers.search import SearchPage
from storage.factory import Store
from tests.bot.flows import alerts, last_with_buttons, tap
from tests.conftest import NOW, register, register_group
from tests.harness import BotHarness

GROUP = -100555
NOT_AVAILABLE = "Not available in this chat."


def in_group(person: Identity, chat_id: int = GROUP, kind: str = "supergroup") -> Identity:
    """The same person writing in a group chat."""
    return Identity(person.user_id, person.first_name, chat_id=chat_id, chat_type=kind, chat_title="Ops room")


def bot_status(bot: BotHarness, by: Identity, old: str, new: str, chat_id: int = GROUP) -> dict[str, Any]:
    """A my_chat_member update: `by` changed the bot's status in the group from `old` to `new`."""
    me = {"id": bot.api.bot_user["id"], "is_bot": True, "first_name": "EMWP", "username": "emwp_console_bot"}
    return {
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "supergroup", "title": "Ops room"},
            "from": by.user,
            "date": 0,
            "old_chat_member": {"status": old, "user": me, "until_date": 0},
            "new_chat_member": {"status": new, "user": me, "until_date": 0},
        }
    }


async def added_by(bot: BotHarness, who: Identity, chat_id: int = GROUP) -> list[ApiCall]:
    """`who` adds the bot to the group."""
    bot.api.chat(chat_id, "supergroup").left = False  # the fake server lets it write there again
    return await bot.process(bot.updates.raw(bot_status(bot, who, "left", "member", chat_id)))


def group_message(bot: BotHarness, person: Identity) -> dict[str, Any]:
    """A message in the group that a button can be pressed on (and an edit can land on)."""
    message = {"message_id": 1, "date": 0, "chat": person.chat, "text": "x"}
    bot.api.chat(GROUP, "supergroup").messages[1] = dict(message)
    return message


async def registered(store: Store, chat_id: int = GROUP) -> bool:
    async with store.uow() as uow:
        return await uow.groups.get(chat_id) is not None


async def audit_actions(store: Store, count: int) -> list[tuple[str, str]]:
    async with store.uow() as uow:
        return [(e.action, e.subject) for e in await uow.audit.latest(count)]


async def clear_update_with_file(store: Store, author: Identity) -> Update:
    """A TLP:CLEAR update with an attachment, as /post stores it."""
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(author.user_id)
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
        assert member is not None and morocco is not None
        draft = Draft(
            "k1", morocco.id, UpdateKind.MEETING, "kestrel minutes", Tlp.CLEAR, frozenset(), "document"
        )
        draft = replace(draft, attachment_file_id="BQAC-minutes")
        posted = await uow.updates.add(draft, member.id, member.delegation.code, NOW)
        await uow.commit()
    assert posted is not None
    return posted


# --- registering -------------------------------------------------------------------------------------


async def test_an_admin_adding_the_bot_registers_the_group_and_says_so(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    calls = await added_by(bot, people["admin"])
    [said] = [c for c in calls if c.method == "sendMessage"]
    assert said.params["chat_id"] == GROUP
    assert "Ana (GSC) added me to this group" in said.params["text"]
    assert not [c for c in calls if c.method == "leaveChat"]
    assert await registered(store)
    async with store.uow() as uow:
        group = await uow.groups.get(GROUP)
        ana = await uow.members.by_telegram_id(people["admin"].user_id)
        [entry] = await uow.audit.latest(1)
    assert group is not None and ana is not None
    assert (group.title, group.registered_by, group.registered_at) == ("Ops room", ana.id, NOW)
    assert (entry.action, entry.actor_id, entry.subject) == ("group.registered", ana.id, f"group {GROUP}")
    [found] = bot.texts(await bot.send(in_group(people["contact"]), "/search kestrel"))
    assert "kestrel" in found


@pytest.mark.parametrize("who", ["contact", "observer", "revoked", "guest", "revoked_admin"])
async def test_anyone_else_adding_the_bot_hears_it_is_closed_and_the_bot_leaves(
    bot: BotHarness, store: Store, people: dict[str, Identity], who: str
) -> None:
    if who == "revoked_admin":
        person = await register(store, 130, Role.ADMIN, "GSC", "Old admin")
        async with store.uow() as uow:
            old = await uow.members.by_telegram_id(130)
            assert old is not None
            await uow.members.change(old.id, NOW, status="revoked")
            await uow.commit()
    else:
        person = people[who]
    before = await audit_actions(store, 1)
    calls = await added_by(bot, person)
    assert [c.method for c in calls] == ["sendMessage", "leaveChat"]
    assert "only an admin of the EMWP working party can add it" in calls[0].params["text"]
    assert calls[1].params["chat_id"] == GROUP
    assert not await registered(store)
    assert await audit_actions(store, 1) == before
    assert bot.texts(await bot.send(in_group(person), "/help")) == []


async def test_removing_the_bot_unregisters_the_group(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await added_by(bot, people["admin"])
    calls = await bot.process(bot.updates.raw(bot_status(bot, people["contact"], "member", "kicked")))
    assert calls == []
    assert not await registered(store)
    assert (await audit_actions(store, 1)) == [("group.removed", f"group {GROUP}")]
    assert bot.texts(await bot.send(in_group(people["contact"]), "/search kestrel")) == []
    # Added back by a contact: closed, as for any group no admin registered.
    calls = await added_by(bot, people["contact"])
    assert [c.method for c in calls] == ["sendMessage", "leaveChat"]


async def test_a_group_that_becomes_a_supergroup_stays_registered(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    old, new = -4012, -1004012
    await register_group(store, old, "Small group")
    contact = people["contact"]
    moved = {"message_id": 9, "date": 0, "chat": {"id": old, "type": "group", "title": "Small group"}}
    moved |= {"from": contact.user, "migrate_to_chat_id": new}
    await bot.process(bot.updates.raw({"message": moved}))
    assert not await registered(store, old) and await registered(store, new)
    assert (await audit_actions(store, 1)) == [("group.moved", f"group {new}")]
    [found] = bot.texts(await bot.send(in_group(contact, new), "/search kestrel"))
    assert found


# --- an unregistered group ---------------------------------------------------------------------------

COMMANDS = [
    "/start",
    "/help",
    "/search kestrel",
    "/members",
    "/initiative MP-MA-2013",
    "/frobnicate",
    "/cancel",
]


@pytest.mark.parametrize("who", ["admin", "contact", "guest"])
async def test_in_a_group_no_admin_registered_commands_get_no_answer(
    bot: BotHarness, people: dict[str, Identity], who: str
) -> None:
    person = in_group(people[who])
    for command in COMMANDS:
        assert await bot.send(person, command) == [], command


@pytest.mark.parametrize("who", ["admin", "contact", "guest"])
async def test_in_a_group_no_admin_registered_buttons_do_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity], who: str
) -> None:
    """A forged `upd:show:<id>` re-sent an attachment there; now no button shows or sends anything."""
    update = await clear_update_with_file(store, people["contact"])
    person = in_group(people[who])
    bot.api.chat(GROUP, "supergroup").messages[1] = {
        "message_id": 1,
        "date": 0,
        "chat": person.chat,
        "text": "x",
    }
    message = bot.api.chat(GROUP).messages[1]
    for data in (
        OpenUpdate(update.id).data,
        OpenInitiative(1).data,
        SearchPage("abcd", 1).data,
        ShowMember(1).data,
        GroupsList().data,
    ):
        calls = await bot.press(person, message, data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert alerts(calls) == [NOT_AVAILABLE]


async def test_the_service_refuses_an_unregistered_group_even_if_asked_directly(
    store: Store, people: dict[str, Identity]
) -> None:
    update = await clear_update_with_file(store, people["contact"])
    async with store.uow() as uow:
        claire = await uow.members.by_telegram_id(people["contact"].user_id)
    viewer = Viewer(people["contact"].user_id, claire, "en", in_group=True, group_id=GROUP)
    with pytest.raises(NotAllowed, match=r"^group\.not_registered$"):
        await update_view(store.uow, viewer, update.id, NOW)
    await register_group(store, GROUP)
    assert (await update_view(store.uow, viewer, update.id, NOW)).update.id == update.id


# --- a registered group ------------------------------------------------------------------------------


async def test_in_a_registered_group_only_members_search_and_see_only_tlp_clear(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await register_group(store, GROUP)
    update = await clear_update_with_file(store, people["contact"])
    async with store.uow() as uow:
        claire = await uow.members.by_telegram_id(people["contact"].user_id)
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
        assert claire is not None and morocco is not None
        green = Draft("k2", morocco.id, UpdateKind.OTHER, "kestrel green note", Tlp.GREEN, frozenset())
        await uow.updates.add(green, claire.id, "FR", NOW)
        await uow.commit()
    [member_view] = bot.texts(await bot.send(in_group(people["observer"]), "/search kestrel"))
    assert "TLP:CLEAR" in member_view and "TLP:GREEN" not in member_view
    for who in ("guest", "revoked"):
        [refused] = bot.texts(await bot.send(in_group(people[who]), "/search kestrel"))
        assert "This is for members of the working party" in refused and "kestrel" not in refused
    guest = in_group(people["guest"])
    bot.api.chat(GROUP, "supergroup").messages[1] = {
        "message_id": 1,
        "date": 0,
        "chat": guest.chat,
        "text": "x",
    }
    calls = await bot.press(guest, bot.api.chat(GROUP).messages[1], f"upd:show:{update.id}")
    assert [c.method for c in calls] == ["answerCallbackQuery"] and "for members" in alerts(calls)[0]
    calls = await bot.press(
        in_group(people["contact"]), bot.api.chat(GROUP).messages[1], f"upd:show:{update.id}"
    )
    assert "sendDocument" in [c.method for c in calls]


# --- /groups -----------------------------------------------------------------------------------------


async def test_admins_list_and_unregister_groups_and_the_bot_leaves(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    [empty] = bot.texts(await bot.send(admin, "/groups"))
    assert "No group is registered" in empty
    await added_by(bot, admin)
    [listing] = bot.texts(await bot.send(admin, "/groups"))
    assert "<b>Registered groups</b> (1)" in listing
    assert (
        f"<b>Ops room</b> (chat {GROUP}), registered 2026-11-27 10:30 (Europe/Brussels) by Ana (GSC)"
        in listing
    )
    listed = dict(last_with_buttons(bot, admin.user_id))
    [confirm] = bot.texts(await tap(bot, admin, "✖ Unregister Ops room"))
    assert "Unregister <b>Ops room</b>?" in confirm
    assert await registered(store), "asking to confirm must not unregister"
    calls = await tap(bot, admin, "Yes, unregister and leave")
    methods = [(c.method, c.params.get("chat_id")) for c in calls if c.method != "answerCallbackQuery"]
    assert methods == [("sendMessage", GROUP), ("leaveChat", GROUP), ("editMessageText", admin.user_id)]
    assert "unregistered this group, so I am leaving it" in calls[0].params["text"]
    assert "<b>Ops room</b> is no longer registered, and I left it." in bot.texts(calls)[-1]
    assert not await registered(store)
    assert (await audit_actions(store, 1)) == [("group.unregistered", f"group {GROUP}")]
    assert bot.texts(await bot.send(in_group(people["contact"]), "/search kestrel")) == []
    calls = await bot.press(
        admin, listed, Unregister(ChatId(GROUP)).data
    )  # pressed again from an old message
    assert "not registered (any more)" in alerts(calls)[0]


@pytest.mark.parametrize("who", ["contact", "observer", "revoked", "guest"])
async def test_groups_is_for_admins_only(
    bot: BotHarness, store: Store, people: dict[str, Identity], who: str
) -> None:
    await register_group(store, GROUP)
    [refused] = bot.texts(await bot.send(people[who], "/groups"))
    assert "Ops room" not in refused and ("not allowed" in refused or "for members" in refused)
    message = {"message_id": 1, "date": 0, "chat": people[who].chat, "text": "x"}
    for data in (AskUnregister(ChatId(GROUP)).data, Unregister(ChatId(GROUP)).data, GroupsList().data):
        calls = await bot.press(people[who], message, data)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    assert await registered(store)
