"""Whatever a user types, the bot answers briefly, never fails, and changes nothing."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from telegram.ext import CommandHandler

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from storage.factory import Store
from tests.bot.walks import COMMANDS, STEPS, Step, reach
from tests.harness import BotHarness

GENERIC_ERROR = "something went wrong"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
typed_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=600).filter(str.strip)
payload = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


async def _members(bot: BotHarness) -> int:
    async with bot.store.uow() as uow:
        return await uow.members.count()


@FUZZ
@given(text=typed_text)
@example(text="/@0")  # once found: a bare command "addressed" in a private chat went unanswered
async def test_any_text_gets_one_short_reply(bot: BotHarness, people: dict[str, Identity], text: str) -> None:
    for who in (people["contact"], people["guest"]):
        replies = bot.texts(await bot.send(who, text))
        assert len(replies) == 1
        assert 0 < len(replies[0]) <= 4096
        assert "Traceback" not in replies[0]


@FUZZ
@given(token=payload)
async def test_any_start_payload_registers_nobody(
    bot: BotHarness, people: dict[str, Identity], token: str
) -> None:
    before = await _members(bot)
    replies = bot.texts(await bot.send(people["guest"], f"/start {token}"))
    assert len(replies) == 1 and len(replies[0]) <= 4096
    assert await _members(bot) == before


def known_commands(bot: BotHarness) -> set[str]:
    """Every command some handler of the application answers."""
    found: set[str] = set()
    for group in bot.app.handlers.values():
        for handler in group:
            inner = [handler, *(h for hs in getattr(handler, "states", {}).values() for h in hs)]
            inner += list(getattr(handler, "entry_points", []))
            found |= {c for h in inner if isinstance(h, CommandHandler) for c in h.commands}
    return found


@FUZZ
@given(
    name=st.text(
        alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=0x7F), min_size=1, max_size=40
    ),
    rest=payload,
)
async def test_any_unknown_command_is_named_back_escaped(
    bot: BotHarness, people: dict[str, Identity], name: str, rest: str
) -> None:
    if name.lower() in known_commands(bot):  # Telegram commands are matched whatever their case
        return
    [reply] = bot.texts(await bot.send(people["observer"], f"/{name} {rest}"))
    assert f"/{name}" in reply


# --- every command and every step of every guided flow, on PostgreSQL --------------------------------

FLOW_FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
CONTROLS = st.characters(categories=("Cc",))
any_typed = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300),
    st.lists(st.one_of(st.text(max_size=20), CONTROLS), min_size=1, max_size=20).map("".join),
    st.builds(lambda word, n: (word * n)[:n], st.text(min_size=1, max_size=8), st.integers(3000, 9000)),
    st.builds("{}\x00{}".format, st.text(max_size=10), st.text(max_size=10)),  # what PostgreSQL refuses
    st.sampled_from(["Morocco", "MP-MA-2013", "08:30", "2026-12-03 09:30", "Europe/Paris", "-", "\x00"]),
).filter(lambda text: bool(text.strip()))
NASTY = ("nul\x00byte", "esc\x1b[31m", "k" * 5000)  # tried at every step, whatever hypothesis draws
fresh_guests = itertools.count(400_000)


@pytest.fixture
def on_postgresql(store: Store) -> None:
    """Skip (before hypothesis starts) unless the store is PostgreSQL."""
    if store.backend != "postgresql":
        pytest.skip("the flow fuzz runs on PostgreSQL, the backend that refuses what SQLite stores")


def answered(calls: list[ApiCall]) -> bool:
    """At least one message or alert came back, each within Telegram's limits."""
    texts = [str(c.params.get("text", "")) for c in calls if c.method in ("sendMessage", "editMessageText")]
    alerts = [c for c in calls if c.method == "answerCallbackQuery"]
    return bool(texts or alerts) and all(0 < len(t) <= 4096 for t in texts)


def at_every_step(test: Any) -> Any:
    """Add the NASTY texts at every step as explicit examples."""
    for step in STEPS:
        for text in NASTY:
            test = example(step=step, text=text)(test)
    return test


@FLOW_FUZZ
@at_every_step
@given(step=st.sampled_from(STEPS), text=any_typed)
async def test_any_text_at_any_step_of_any_flow_is_answered(
    on_postgresql: None, bot: BotHarness, people: dict[str, Identity], step: Step, text: str
) -> None:
    who = people[step.who] if step.who != "guest" else Identity(next(fresh_guests), "Gus")
    await reach(bot, who, step)
    calls = await bot.send(who, text)
    errors = list(bot.errors)
    bot.errors.clear()  # so that hypothesis sees this example's failure, not the teardown's
    assert errors == [], f"{step.name}: {text!r} raised {errors!r}"
    assert answered(calls), f"{step.name}: {text!r} got {[c.method for c in calls]}"
    assert GENERIC_ERROR not in json.dumps([c.params for c in calls], default=str)


def at_every_command(test: Any) -> Any:
    """Add the NASTY texts after every command, by an admin in a private chat, as explicit examples."""
    for command in COMMANDS:
        for text in NASTY:
            test = example(command=command, role="admin", in_group=False, text=text)(test)
    return test


@FLOW_FUZZ
@at_every_command
@given(
    command=st.sampled_from(COMMANDS),
    role=st.sampled_from(["admin", "contact", "observer", "revoked", "guest"]),
    in_group=st.booleans(),
    text=any_typed,
)
async def test_any_text_after_any_command_is_answered(
    on_postgresql: None,
    bot: BotHarness,
    people: dict[str, Identity],
    working_group: int,
    command: str,
    role: str,
    in_group: bool,
    text: str,
) -> None:
    person = people[role]
    if in_group:
        person = Identity(person.user_id, person.first_name, chat_id=working_group, chat_type="supergroup")
    calls = await bot.send(person, f"/{command} {text}")
    errors = list(bot.errors)
    bot.errors.clear()
    await bot.send(person, "/cancel")
    assert errors == [], f"/{command} {text!r} raised {errors!r}"
    if in_group and command == "frobnicate":  # a command the bot does not have: silence in a group
        assert calls == [], f"/{command} {text!r} in a group got {[c.method for c in calls]}"
        return
    assert answered(calls), f"/{command} {text!r} as {role} got {[c.method for c in calls]}"
    assert GENERIC_ERROR not in json.dumps([c.params for c in calls], default=str)
