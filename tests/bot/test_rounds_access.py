"""Who may do what with rounds: every role against /rounds and /newround, and against every kind of round
button, forged data included. A refusal is one alert and changes nothing in the store."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.console.updates import Identity
from bot.domain.vocab import Role
from storage.factory import Store
from storage.models import AuditRow, OutboxRow
from storage.round_models import RoundAnswerRow, RoundRow
from tests.bot.test_access_matrix import MEMBERS_ONLY, NOT_ALLOWED, STALE, refusal_problem, screen
from tests.bot.test_rounds import launch_query
from tests.conftest import register
from tests.harness import BotHarness

NOT_FOUND = "no longer exists"
NOT_ASKED = "Only contacts of a delegation asked"

COMMANDS = {
    "admin": {"/rounds": "<b>Rounds</b>", "/newround": "<b>New query</b>"},
    "contact": {"/rounds": "<b>Rounds</b>", "/newround": "<b>New query</b>"},
    "observer": {"/rounds": "<b>Rounds</b>", "/newround": NOT_ALLOWED},
    "revoked": {"/rounds": MEMBERS_ONLY, "/newround": MEMBERS_ONLY},
    "guest": {"/rounds": MEMBERS_ONLY, "/newround": MEMBERS_ONLY},
}
# Steps of the launch and answer flows: outside their flow, stale for everybody.
FLOW_STEPS = (
    "rnl:qk:text",
    "rnl:more:1",
    "rnl:scope:everyone",
    "rnl:pick:FR",
    "rnl:picked",
    "rnl:qtlp:GREEN",
    "rnl:atlp:AMBER",
    "rnl:days:7",
    "rnl:nofile",
    "rnl:ok:somekey",
    "rnd:yn:yes",
    "rnd:opt:0",
    "rnd:nocom",
    "rnd:sub:1",
)
FORGED = (
    "rnd:v:abc",
    "rnd:v:-1",
    "rnd:v:1:2",
    "rnd:tap:1:bogus",
    "rnd:tap:1:TLP:RED",
    "rnd:v:99999999999999999999999",
    "rnd:hist:1:",
    "rnl:new:poll",
)
ROUND_BUTTONS = ("rnd:v:1", "rnd:ans:1", "rnd:tap:1:no_information", "rnd:vd:1:comments", "rnd:st:1")
MANAGE = ("rnd:hist:1:DE", "rnd:ext:1", "rnd:close:1", "rnd:closeok:1", "rnd:docs:1")
EXPECTED = {
    # Not involved in the round (FRONTEX is not asked): it does not exist for them.
    "observer": dict.fromkeys((*ROUND_BUTTONS, *MANAGE), NOT_FOUND),
    "revoked": dict.fromkeys((*ROUND_BUTTONS, *MANAGE), MEMBERS_ONLY),
    "guest": dict.fromkeys((*ROUND_BUTTONS, *MANAGE), MEMBERS_ONLY),
    # The launcher's delegation and an admin are not asked: they may not answer.
    "contact": {
        "rnd:ans:1": NOT_ASKED,
        "rnd:tap:1:no_information": NOT_ASKED,
        "rnd:vd:1:comments": NOT_ASKED,
    },
    "admin": {"rnd:ans:1": NOT_ASKED, "rnd:tap:1:no_information": NOT_ASKED, "rnd:vd:1:comments": NOT_ASKED},
}


async def counts(store: Store) -> tuple[int | None, ...]:
    async with store.engine.connect() as connection:
        return tuple(
            [
                await connection.scalar(select(func.count()).select_from(table))
                for table in (RoundRow, RoundAnswerRow, AuditRow, OutboxRow)
            ]
        )


@pytest.mark.parametrize("role", list(COMMANDS))
async def test_round_commands_answer_each_role(
    bot: BotHarness, people: dict[str, Identity], role: str
) -> None:
    for command, phrase in COMMANDS[role].items():
        calls = await bot.send(people[role], command)
        assert any(phrase in x for x in bot.texts(calls)), (command, bot.texts(calls))
        await bot.send(people[role], "/cancel")


@pytest.mark.parametrize("role", list(EXPECTED))
async def test_round_buttons_refuse_who_may_not_and_change_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity], role: str
) -> None:
    for user, code in ((201, "DE"), (202, "IT"), (203, "EL")):
        await register(store, user, Role.CONTACT, code)
    await launch_query(bot, people["contact"], ["DE", "EL", "IT"], "TLP:GREEN", "TLP:AMBER")
    who = people[role]
    message = await screen(bot, who) if role != "guest" else {"message_id": 1, "date": 0, "chat": who.chat}
    expected = {
        **EXPECTED[role],
        **dict.fromkeys(FLOW_STEPS, STALE),
        **dict.fromkeys(FORGED, (STALE, NOT_FOUND)),
    }
    before = await counts(store)
    problems = {}
    for data, phrase in expected.items():
        problem = refusal_problem(await bot.press(who, message, data), phrase, ["Dieter", "Eleni"])
        if problem:
            problems[data] = problem
    assert problems == {}
    assert await counts(store) == before


async def test_the_launcher_and_admins_see_the_status_but_no_draft(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    de = await register(store, 201, Role.CONTACT, "DE", "Dieter")
    await register(store, 202, Role.CONTACT, "IT")
    await register(store, 203, Role.CONTACT, "EL")
    await launch_query(bot, people["contact"], ["DE", "EL", "IT"], "TLP:GREEN", "TLP:AMBER")
    message = await screen(bot, de)
    await bot.press(de, message, "rnd:ans:1")
    await bot.press(de, message, "rnd:yn:no")
    await bot.send(de, "A draft the launcher must not see")
    for who in (people["contact"], people["admin"]):
        status = bot.texts(await bot.press(who, await screen(bot, who), "rnd:st:1"))
        assert any("0 of 3 delegations answered" in x for x in status)
        assert not any("must not see" in x for x in status)
