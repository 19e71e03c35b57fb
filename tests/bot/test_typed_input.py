"""One check for every typed text: a control character anywhere a person types is refused with a reason
that names it, on both backends, and the store is left as it was. Before, NUL crashed the handler on
PostgreSQL ("something went wrong", an access request lost) and SQLite stored it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.console.updates import Identity
from storage.factory import Store
from storage.models import (
    AccessRequestRow,
    AuditRow,
    InitiativeRow,
    MemberRow,
    NoticeRow,
    SubscriptionRow,
    UpdateRow,
)
from tests.bot.walks import COMMANDS, STEPS, Step, reach
from tests.harness import BotHarness

CONTROL = {"\x00": "U+0000", "\x1b": "U+001B", "\x7f": "U+007F", "\x9b": "U+009B"}
TEXT_STEPS = [step for step in STEPS if step.takes_text]
ONE_LINE_STEPS = [step for step in TEXT_STEPS if not step.lines]


async def counts(store: Store) -> tuple[int, ...]:
    """Rows of every table typed text could reach."""
    tables = (AccessRequestRow, AuditRow, InitiativeRow, MemberRow, NoticeRow, SubscriptionRow, UpdateRow)
    async with store.engine.connect() as connection:
        return tuple([await connection.scalar(select(func.count()).select_from(t)) or 0 for t in tables])


async def refused_twice(bot: BotHarness, who: Identity, text: str) -> list[str]:
    """Send `text` twice (the step must still be waiting the second time); the replies."""
    first = bot.texts(await bot.send(who, text))
    second = bot.texts(await bot.send(who, text))
    return first + second


@pytest.mark.parametrize("step", TEXT_STEPS, ids=lambda step: step.name)
@pytest.mark.parametrize("char", list(CONTROL), ids=list(CONTROL.values()))
async def test_a_control_character_at_any_step_is_refused_with_its_name(
    bot: BotHarness, store: Store, people: dict[str, Identity], step: Step, char: str
) -> None:
    who = people[step.who]
    await reach(bot, who, step)
    before = await counts(store)
    replies = await refused_twice(bot, who, f"Mor{char}occo")
    expected = f"control character ({CONTROL[char]}, at position 4)"
    assert len(replies) == 2 and all(expected in reply for reply in replies), (step.name, replies)
    assert await counts(store) == before
    assert not bot.errors


@pytest.mark.parametrize("step", ONE_LINE_STEPS, ids=lambda step: step.name)
async def test_a_line_break_in_a_one_line_value_is_refused(
    bot: BotHarness, store: Store, people: dict[str, Identity], step: Step
) -> None:
    who = people[step.who]
    await reach(bot, who, step)
    before = await counts(store)
    replies = await refused_twice(bot, who, "Morocco\nTunisia")
    assert len(replies) == 2 and all("on one line" in reply for reply in replies), (step.name, replies)
    assert await counts(store) == before


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_control_character_after_any_command_is_answered_and_changes_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity], command: str
) -> None:
    """Arguments reach the services that look them up (/initiative, /country, /search, /initiatives…)."""
    who = people["admin"]
    before = await counts(store)
    replies = bot.texts(await bot.send(who, f"/{command} MP-MA\x00-2013"))
    expected = 2 if command == "privacy" else 1  # the statement takes two messages
    assert len(replies) == expected and "Traceback" not in " ".join(replies), (command, replies)
    if command in ("initiative", "country", "search", "initiatives", "post"):
        assert "control character (U+0000, at position 6)" in replies[0], (command, replies)
    await bot.send(who, "/cancel")
    if command == "mydata":  # handing out a copy of someone's data is audited, and changes nothing else
        assert await counts(store) == (before[0], before[1] + 1, *before[2:])
    else:
        assert await counts(store) == before
    assert not bot.errors
