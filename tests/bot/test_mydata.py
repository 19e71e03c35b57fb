"""/mydata through real updates on SQLite and PostgreSQL: a summary and a JSON file holding every record
about the person; every table that references a member (derived from the models) is in it."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import BigInteger

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.digests import Frequency, Scope
from bot.domain.notices import Audience, AudienceKind, NoticeDraft
from bot.domain.personal_data import SECTIONS
from bot.domain.posting import Draft, FollowKind
from bot.domain.rounds import Question, Reply, RoundDraft, RoundKind
from bot.domain.vocab import Role, Tlp, UpdateKind
from bot.services import digests, notices, posting, round_answers, rounds
from bot.services.access_requests import submit_access_request
from bot.services.actors import Actor
from bot.services.catalog import place_names
from bot.services.invites import create_invite
from handlers.access_request import admin_notice
from handlers.digest_render import DigestRenderer
from handlers.notice_render import recipient_message
from handlers.rounds_messages import RoundMessenger
from handlers.update_render import notification
from storage.models import Base
from tests.bot.flows import open_invitation, request_access, tap
from tests.harness import BotHarness

SUBJECT = Identity(424242, "Maeve Oddlyname")
OTHER_GUEST = Identity(424243, "Paula Elsewhere")


TELEGRAM_IDS = ("telegram_user_id", "chat_id")  # a private chat's id is its user's id


def tables_about_members() -> set[str]:
    """Tables with a foreign key to members.id or a Telegram id column, from the models."""
    found = set()
    for table in Base.metadata.tables.values():
        for column in table.columns:
            to_members = any(fk.column.table.name == "members" for fk in column.foreign_keys)
            telegram = column.name in TELEGRAM_IDS or "telegram" in column.name
            if to_members or telegram:
                assert not telegram or isinstance(column.type, BigInteger), f"{table.name}.{column.name}"
                found.add(table.name)
    return found


async def an_admin_who_did_everything(bot: BotHarness, people: dict[str, Identity]) -> None:
    """The subject asks for access (refused), joins as admin, then leaves a record in every table."""
    admin = people["admin"]
    await request_access(bot, SUBJECT, "Maeve Oddlyname", "IE", None)
    await tap(bot, admin, "Refuse")
    await tap(bot, admin, "Yes, refuse")
    created = await create_invite(
        bot.store.uow, Actor(admin.user_id), Role.ADMIN, "IE", 1, 7, bot.clock.now()
    )
    await open_invitation(bot, SUBJECT, created.token)
    me, now = Actor(SUBJECT.user_id), bot.clock.now()
    async with bot.store.uow() as uow:
        morocco = await uow.initiatives.by_ref("MP-MA-2013")
    assert morocco is not None
    await create_invite(bot.store.uow, me, Role.OBSERVER, "EUAA", 2, 7, now)
    request = await submit_access_request(
        bot.store.uow,
        OTHER_GUEST.user_id,
        OTHER_GUEST.user_id,
        "Paula Elsewhere",
        "PT",
        "",
        "en",
        now,
        admin_notice,
    )
    await bot.deliver()
    await tap(bot, SUBJECT, "Approve as contact")
    assert request.request.id
    async with bot.store.uow() as uow:  # the group chat they added the bot to
        subject = await uow.members.by_telegram_id(SUBJECT.user_id)
        assert subject is not None
        await uow.groups.save(-100999, "Their group", subject.id, now)
        await uow.commit()
    await posting.set_follow(bot.store.uow, me, FollowKind.INITIATIVE, str(morocco.id), True, now)
    await digests.subscribe(bot.store.uow, me, Scope(), Frequency.DAILY, 0, dt.time(8), True, now)
    draft = Draft(uuid.uuid4().hex, morocco.id, UpdateKind.POSITION, "Our position, in confidence", Tlp.AMBER)
    posted = await posting.post_update(bot.store.uow, me, draft, now, notification)
    await posting.edit_update(bot.store.uow, me, posted.update.id, "Our position, amended", now, notification)
    other = Draft(uuid.uuid4().hex, morocco.id, UpdateKind.VISIT, "Claire's mission to Tangier")
    await posting.post_update(bot.store.uow, Actor(people["contact"].user_id), other, now, notification)
    notice = NoticeDraft(uuid.uuid4().hex, "Meeting on Thursday", Audience(AudienceKind.EVERYONE), now)
    await notices.broadcast(bot.store.uow, me, notice, now, recipient_message)
    asked = RoundDraft(
        uuid.uuid4().hex,
        RoundKind.QUERY,
        "Practice",
        "Why",
        (Question("How?"),),
        ("IE",),
        Tlp.GREEN,
        Tlp.GREEN,
        now + dt.timedelta(days=7),
        "Europe/Brussels",
    )
    launched, _ = await rounds.launch(bot.store.uow, me, asked, now, RoundMessenger())
    await round_answers.answer(bot.store.uow, me, launched.id, Reply.ANSWERED, ("Like this",), now)
    bot.clock.current = now + dt.timedelta(days=1)
    regions, countries = await place_names(bot.store.uow)
    await digests.send_due(bot.store.uow, bot.clock.now(), DigestRenderer(regions, countries))
    await bot.deliver()


def the_file(calls: list[ApiCall]) -> tuple[ApiCall, dict[str, Any]]:
    """The sendDocument call and the JSON it carried."""
    [document] = [c for c in calls if c.method == "sendDocument"]
    name, content = document.params["_files"]["document"][:2]
    assert name.startswith("emwp-my-data-") and name.endswith(".json")
    return document, json.loads(content)


async def test_mydata_holds_every_table_that_references_a_member(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    await an_admin_who_did_everything(bot, people)
    calls = await bot.send(SUBJECT, "/mydata")
    _, exported = the_file(calls)
    derived = tables_about_members()
    assert derived >= {"members", "updates", "audit_log", "outbox", "access_requests", "follows"}
    assert derived <= set(SECTIONS), f"not exported: {derived - set(SECTIONS)}"
    empty = sorted(name for name in derived | set(SECTIONS) if not exported["tables"].get(name))
    assert empty == []
    assert exported["tables"]["members"][0]["display_name"] == "Maeve Oddlyname"
    assert exported["telegram_user_id"] == SUBJECT.user_id


async def test_mydata_tells_dates_and_kinds_of_messages_never_others_content(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    await an_admin_who_did_everything(bot, people)
    calls = await bot.send(SUBJECT, "/mydata")
    [summary] = bot.texts(calls)
    document, exported = the_file(calls)
    assert "What the bot keeps about you" in summary and "Maeve Oddlyname" in summary
    assert "Updates you posted: 1 · earlier versions kept: 1 · notices: 1" in summary
    assert "Rounds you launched: 1 · answers you gave, every version: 1" in summary
    assert exported["tables"]["round_answers"][0]["answer"] == {"values": ["Like this"]}
    assert "digest 1" in summary and "follow 1" in summary and "notice 1" in summary
    assert document.params["protect_content"] is True, "it holds the subject's TLP:AMBER update"
    assert "forwarded or saved" in document.params["caption"]
    dumped = json.dumps(exported, ensure_ascii=False)
    for foreign in ("Claire's mission to Tangier", "Paula Elsewhere", "Claire"):
        assert foreign not in dumped, foreign
    assert _only_in_notices(exported, "Meeting on Thursday")
    assert all(
        set(row) == {"id", "kind", "job", "status", "parts_sent", "created_at", "sent_at"}
        for row in exported["tables"]["outbox"]
    )
    [decided] = [r for r in exported["tables"]["access_requests"] if r["relation"] == "decided"]
    assert decided["status"] == "approved" and "name" not in decided and "note" not in decided
    assert "Access requests: 1 of yours, 1 decided by you" in summary
    async with bot.store.uow() as uow:
        [entry] = await uow.audit.latest(1)
    assert entry.action == "member.data_exported"


def _only_in_notices(exported: dict[str, Any], text: str) -> bool:
    """The notice the subject wrote is theirs; it appears in their notices, nowhere else."""
    elsewhere = {k: v for k, v in exported["tables"].items() if k != "notices"}
    return text in json.dumps(exported["tables"]["notices"]) and text not in json.dumps(elsewhere)


async def test_a_member_with_only_green_posts_gets_an_unprotected_file(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    calls = await bot.send(people["contact"], "/mydata")
    document, exported = the_file(calls)
    assert document.params.get("protect_content") in (None, False)
    assert exported["tables"]["members"][0]["display_name"] == "Claire"
    assert exported["tables"]["updates"] == []


async def test_a_guest_gets_their_access_request_or_hears_nothing_is_kept(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    [nothing] = bot.texts(await bot.send(people["guest"], "/mydata"))
    assert nothing == "The bot keeps nothing about you."
    await request_access(bot, people["guest"], "Gus Guest", "LU", "from the ministry")
    calls = await bot.send(people["guest"], "/mydata")
    _, exported = the_file(calls)
    [request] = exported["tables"]["access_requests"]
    assert (request["name"], request["note"], request["status"]) == (
        "Gus Guest",
        "from the ministry",
        "pending",
    )
    assert exported["member_id"] is None and exported["tables"]["members"] == []


async def test_a_revoked_member_may_still_ask_for_their_data(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    calls = await bot.send(people["revoked"], "/mydata")
    [summary] = bot.texts(calls)
    assert "Rolf" in summary and "revoked" in summary
    assert the_file(calls)[1]["tables"]["members"][0]["status"] == "revoked"


async def test_mydata_is_listed_in_help_and_refused_in_a_group(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    [help_text] = bot.texts(await bot.send(people["observer"], "/help"))
    assert "/mydata" in help_text and "/privacy" in help_text
    group = Identity(102, "Claire", chat_id=-100123, chat_type="supergroup", chat_title="EMWP")
    [refused] = bot.texts(await bot.send(group, "/mydata"))
    assert "private chat" in refused
