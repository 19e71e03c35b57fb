"""Whatever a user types, the bot answers briefly, never fails, and changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.console.updates import Identity
from handlers.menu import SERVED_COMMANDS
from tests.harness import BotHarness

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
    if name.lower() in SERVED_COMMANDS:  # commands are case-insensitive: /INVITE is /invite
        return
    [reply] = bot.texts(await bot.send(people["observer"], f"/{name} {rest}"))
    assert f"/{name}" in reply
