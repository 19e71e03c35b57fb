"""Following initiatives, countries and regions, and the fan-out of a new update by TLP, through real updates.

Who is told is checked twice: against a table written out by hand from the TLP 2.0 rules, and
against `bot.domain.access.member_may_read` on the update as stored.
"""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import update as sql_update

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.access import member_may_read
from bot.domain.posting import FollowKind
from bot.domain.vocab import Role, Tlp
from bot.services import posting
from bot.services.actors import Actor
from handlers.buttons import Follow, OpenUpdate
from storage.factory import Store
from storage.models import MemberRow
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.bot.test_posting import FILE_ID, REF, notices, post, posted_id, stored, synthetic, to_preview
from tests.conftest import NOW, register
from tests.harness import BotHarness

TEXT = "Plan <A&B> {0} 🙂"
SHOWN = html.escape(TEXT, quote=False)
MOROCCO_MP = 5  # the seeded id of MP-MA-2013


async def follow(bot: BotHarness, who: Identity, kind: str, target: str) -> list[ApiCall]:
    """Press 🔔 for the kind and target on the member's /initiative message."""
    await bot.send(who, f"/initiative {REF}")
    pressed = Follow("on", FollowKind(kind), target)
    return await bot.press(who, last_with_buttons(bot, who.user_id), pressed.data)


async def cast(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> tuple[Identity, dict[str, Identity]]:
    """The author (an IT contact, following the initiative too) and six followers, each by another route."""
    author = await register(store, 202, Role.CONTACT, "IT", "Ivo")
    followers = {
        "fr_contact": people["contact"],
        "de_contact": await register(store, 201, Role.CONTACT, "DE", "Dora"),
        "frontex_observer": people["observer"],
        "admin": people["admin"],
        "pl_observer": await register(store, 203, Role.OBSERVER, "PL", "Pia"),
        "it_contact": await register(store, 204, Role.CONTACT, "IT", "Ilse"),
    }
    await bot.send(followers["fr_contact"], f"/initiative {REF}")
    assert "Following" in alerts(await tap(bot, followers["fr_contact"], "🔔 Follow"))[0]
    routes = {
        "de_contact": ("country", "MA"),
        "frontex_observer": ("region", "north_africa"),  # the initiative's own region
        "admin": ("region", "western_mediterranean_atlantic"),  # a region Morocco is in
        "pl_observer": ("region", "southern_neighbourhood"),
        "it_contact": ("initiative", str(MOROCCO_MP)),
    }
    for name, (kind, target) in routes.items():
        assert alerts(await follow(bot, followers[name], kind, target)) == [
            "Following: you will get new updates here."
        ]
    await follow(bot, author, "initiative", str(MOROCCO_MP))
    return author, followers


EVERYONE = {"fr_contact", "de_contact", "frontex_observer", "admin", "pl_observer", "it_contact"}
# Label, RED readers named, who is told (the author is an IT contact), written out by hand.
CASES: list[tuple[Tlp, tuple[str, ...], set[str]]] = [
    (Tlp.CLEAR, (), EVERYONE),
    (Tlp.GREEN, (), EVERYONE),
    (Tlp.AMBER, (), {"fr_contact", "de_contact", "admin", "it_contact"}),
    (Tlp.AMBER_STRICT, (), {"admin", "it_contact"}),
    (Tlp.RED, ("DE", "FRONTEX"), {"admin", "it_contact", "de_contact", "frontex_observer"}),
    (Tlp.RED, ("FR", "PL"), {"admin", "it_contact", "fr_contact", "pl_observer"}),
    (Tlp.RED, (), {"admin", "it_contact"}),
]
PROTECTED = {Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED}  # sent with protect_content; CLEAR and GREEN are not


def to_chat(calls: list[ApiCall], chat_id: int) -> list[ApiCall]:
    """Every call addressed to one chat."""
    return [c for c in calls if c.params.get("chat_id") == chat_id]


def open_buttons(calls: list[ApiCall]) -> list[str]:
    """The callback data of every button on these calls' messages."""
    found: list[str] = []
    for call in calls:
        markup: dict[str, Any] = call.params.get("reply_markup") or {}
        found += [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
    return found


async def test_followers_are_told_exactly_when_they_may_read(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    author, followers = await cast(bot, store, people)
    async with store.uow() as uow:
        members = {name: await uow.members.by_telegram_id(who.user_id) for name, who in followers.items()}
    for tlp, red, expected in CASES:
        case = f"{tlp.value} naming {red}"
        await to_preview(bot, author, TEXT, tlp, red=red, attachment="note.pdf")
        calls = await tap(bot, author, "✅ Post it")
        ident = posted_id(bot, calls)
        update = await stored(store, ident)
        assert update.red_delegations == frozenset(red), case
        said = f"{len(expected)} follower who" if len(expected) == 1 else f"{len(expected)} followers who"
        assert said in bot.texts(calls)[0], case
        assert not notices(calls, author.user_id), case  # never one's own
        oracle = {name for name, m in members.items() if m is not None and member_may_read(m, update)}
        assert oracle == expected, case
        told = {name for name, who in followers.items() if notices(calls, who.user_id)}
        assert told == expected, case
        for name, who in followers.items():
            mine = to_chat(calls, who.user_id)
            if name not in expected:
                assert not mine, (case, name, mine)
                continue
            [text] = notices(mine, who.user_id)
            body = str(text.params["text"])
            assert body.startswith("🔔 <b>New update</b>"), case
            assert body.index(f"<b>[{tlp.value}]</b>") < body.index(SHOWN), case
            assert TEXT not in body, case
            [document] = [c for c in mine if c.method == "sendDocument"]
            assert document.params["document"] == FILE_ID, case
            assert mine.index(document) > mine.index(text), case  # the file follows the text
            for sent in (text, document):
                assert bool(sent.params.get("protect_content")) is (tlp in PROTECTED), (
                    case,
                    name,
                    sent.params,
                )
            assert OpenUpdate(ident).data in open_buttons(mine), case
            assert len(mine) == 2, (case, name, mine)


async def test_blocked_and_revoked_followers_get_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    reachable = await register(store, 201, Role.CONTACT, "DE", "Dora")
    blocking = await register(store, 202, Role.CONTACT, "IT", "Ivo")
    leaving = await register(store, 203, Role.CONTACT, "PL", "Pia")
    for who in (reachable, blocking, leaving):
        await follow(bot, who, "country", "MA")
    bot_user = {"id": bot.api.bot_user["id"], "is_bot": True, "first_name": "EMWP"}
    await bot.process(
        bot.updates.raw(
            {
                "my_chat_member": {
                    "chat": blocking.chat,
                    "from": blocking.user,
                    "date": 0,
                    "old_chat_member": {"status": "member", "user": bot_user, "until_date": 0},
                    "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
                }
            }
        )
    )
    async with store.engine.begin() as connection:
        await connection.execute(
            sql_update(MemberRow)
            .where(MemberRow.telegram_user_id == leaving.user_id)
            .values(status="revoked")
        )
    await to_preview(bot, contact, TEXT)
    calls = await tap(bot, contact, "✅ Post it")
    assert "1 follower who may read it" in bot.texts(calls)[0]
    assert len(notices(calls, reachable.user_id)) == 1
    assert not to_chat(calls, blocking.user_id)
    assert not to_chat(calls, leaving.user_id)


async def test_follow_buttons_following_list_and_unfollowing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact = people["contact"]
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    assert "You follow nothing yet" in bot.texts(await bot.send(reader, "/following"))[0]
    # The initiative, with its 🔔 button; the button then offers 🔕.
    await bot.send(reader, f"/initiative {REF}")
    assert alerts(await tap(bot, reader, "🔔 Follow")) == ["Following: you will get new updates here."]
    await bot.send(reader, f"/initiative {REF}")
    assert "🔕 Unfollow" in buttons(last_with_buttons(bot, reader.user_id))
    # A region, from the filtered list of initiatives.
    await bot.send(reader, "/initiatives")
    await tap(bot, reader, "Region ▾")
    await tap(bot, reader, "North Africa")
    assert alerts(await tap(bot, reader, "🔔 Follow this region")) == [
        "Following: you will get new updates here."
    ]
    # The country, by its callback.
    await follow(bot, reader, "country", "MA")
    [listing] = bot.texts(await bot.send(reader, "/following"))
    assert "<b>You follow</b> (3). Tap ✖ to stop." in listing
    assert "• initiative: MP-MA-2013 EU-Morocco Mobility Partnership" in listing
    assert "• region: North Africa" in listing
    assert "• country: Morocco" in listing
    # Three routes to the same update: told once.
    first = await post(bot, contact, "told once")
    assert len([c for c in notices(bot.api.calls, reader.user_id) if "told once" in c.params["text"]]) == 1
    # ✖ removes, one at a time, and the list follows.
    await bot.send(reader, "/following")
    removes = [b for b in buttons(last_with_buttons(bot, reader.user_id)) if b.startswith("✖")]
    assert len(removes) == 3
    for count, label in zip((2, 1), removes[:2], strict=True):
        [after] = bot.texts(await tap(bot, reader, label))
        assert f"({count})" in after
    await tap(bot, reader, removes[2])
    [after] = bot.texts(await bot.send(reader, "/following"))
    assert "You follow nothing yet" in after
    before = len(notices(bot.api.calls, reader.user_id))
    second = await post(bot, contact, "not told")
    assert second != first
    assert len(notices(bot.api.calls, reader.user_id)) == before


async def test_unfollow_on_the_initiative_stops_notifications(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    contact, admin = people["contact"], people["admin"]
    await bot.send(admin, f"/initiative {REF}")
    await tap(bot, admin, "🔔 Follow")
    await post(bot, contact, "first")
    await bot.send(admin, f"/initiative {REF}")
    assert alerts(await tap(bot, admin, "🔕 Unfollow")) == ["No longer following."]
    await post(bot, contact, "second")
    told = [str(c.params["text"]) for c in notices(bot.api.calls, admin.user_id)]
    assert len(told) == 1 and "first" in told[0]


async def test_the_country_page_offers_a_follow_button(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    reader = await register(store, 201, Role.CONTACT, "DE", "Dora")
    await bot.send(reader, "/country MA")
    assert alerts(await tap(bot, reader, "🔔 Follow this country")) == [
        "Following: you will get new updates here."
    ]
    [listing] = bot.texts(await bot.send(reader, "/following"))
    assert "• country: Morocco" in listing


REFUSED_FOLLOWS = [
    ("guest", Follow("on", FollowKind.INITIATIVE, "5").data, "This is for members of the working party"),
    ("revoked", Follow("on", FollowKind.COUNTRY, "MA").data, "This is for members of the working party"),
    ("contact", Follow("on", FollowKind.COUNTRY, "ZZ").data, "That no longer exists."),
    ("contact", Follow("on", FollowKind.REGION, "atlantis").data, "That no longer exists."),
    ("contact", Follow("on", FollowKind.INITIATIVE, "999999").data, "That no longer exists."),
    ("contact", "fol:on:planet:MA", "This button is no longer available"),
    ("contact", "fol:maybe:country:MA", "This button is no longer available"),
]


async def test_follow_refusals_follow_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    for who, data, reason in REFUSED_FOLLOWS:
        person = people[who]
        calls = await bot.press(person, synthetic(person), data)
        assert [a for a in alerts(calls) if reason in a], (data, alerts(calls))
    async with store.uow() as uow:
        member = await uow.members.by_telegram_id(people["contact"].user_id)
        assert member is not None
        assert not await uow.follows.follows(member.id)


async def test_following_many_things_lists_them_all_within_telegrams_limit(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    """Eighty initiatives followed: /following splits the list under 4096 characters, buttons last."""
    contact = people["contact"]
    async with store.uow() as uow:
        targets = [str(i.id) for i in await uow.initiatives.all()][:80]
    for target in targets:
        await posting.set_follow(store.uow, Actor(contact.user_id), FollowKind.INITIATIVE, target, True, NOW)
    calls = await bot.send(contact, "/following")
    texts = bot.texts(calls)
    assert len(texts) > 1 and all(len(text) <= 4096 for text in texts)
    assert sum(text.count("\n•") for text in texts) + sum(t.startswith("•") for t in texts) == len(targets)
    markups = [c.params.get("reply_markup") for c in calls if c.method == "sendMessage"]
    assert markups[-1] is not None and all(m is None for m in markups[:-1])
