"""/privacy and the notice before joining, through real updates: the shipped statement and a deployer's
file (PRIVACY_FILE), in English and French; an invitation or an access request goes on only past it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.console.updates import Identity
from bot.domain.privacy import statement_problem
from bot.domain.retention import RetentionPolicy
from bot.domain.vocab import Role
from bot.services.invites import create_invite
from bot.settings import Settings, SettingsError, load_settings
from handlers.statement import load_statements, shipped_statement
from storage.factory import Store
from tests.bot.flows import alerts, buttons, last_with_buttons, tap
from tests.harness import BotHarness, FixedClock

SECTIONS_EN = (
    "Controller",
    "Purpose",
    "Legal basis",
    "Data we process",
    "Recipients",
    "How long",
    "Your rights",
)
SECTIONS_FR = ("Responsable du traitement", "Finalité", "Base juridique", "Destinataires", "Vos droits")


def statement_of(bot: BotHarness, calls: list[object]) -> str:
    """The statement as sent: its parts joined."""
    return "\n".join(bot.texts(calls))  # type: ignore[arg-type]


@pytest.mark.parametrize("shipped", ["en", "fr"])
def test_the_shipped_statements_are_complete_and_telegram_can_show_them(shipped: str) -> None:
    text = shipped_statement(shipped)
    assert statement_problem(text) is None
    for heading in SECTIONS_EN if shipped == "en" else SECTIONS_FR:
        assert heading in text, heading
    assert "data.protection@consilium.europa.eu" in text and "/mydata" in text
    filled = load_statements(None, RetentionPolicy(revoked_member_months=18, payload_days=14))[shipped]
    assert "{" not in filled and "14" in filled and "18" in filled


async def test_privacy_answers_guests_members_and_groups_in_their_language(
    bot: BotHarness, people: dict[str, Identity], working_group: int
) -> None:
    guest = statement_of(bot, await bot.send(people["guest"], "/privacy"))
    assert "Privacy statement" in guest and "Data Protection Officer" in guest
    assert "30 days after it was delivered" in guest and "24 months after your access ends" in guest
    member = statement_of(bot, await bot.send(people["observer"], "/privacy"))
    assert member == guest
    french = statement_of(bot, await bot.send(Identity(333, "Amélie", language_code="fr"), "/privacy"))
    assert "Déclaration de confidentialité" in french and "délégué à la protection des données" in french
    group = Identity(102, "Claire", chat_id=-100123, chat_type="supergroup", chat_title="EMWP")
    assert statement_of(bot, await bot.send(group, "/privacy")) == guest
    [help_text] = bot.texts(await bot.send(people["guest"], "/help"))
    assert "/privacy" in help_text


async def test_an_invitation_is_accepted_only_past_the_privacy_notice(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    created = await create_invite(bot.store.uow, None, Role.CONTACT, "IT", 1, 7, bot.clock.now())
    newcomer = Identity(600, "Nora")
    [notice] = bot.texts(await bot.send(newcomer, f"/start {created.token}"))
    assert "Before you go on" in notice and "/privacy" in notice
    assert list(buttons(last_with_buttons(bot, 600))) == ["📄 Privacy statement", "✅ Continue and join"]
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(600) is None, "nothing happens before continuing"
        assert (await uow.invites.by_id(created.invite.id)).uses_left == 1  # type: ignore[union-attr]

    read = bot.texts(await tap(bot, newcomer, "📄 Privacy statement"))
    assert "Controller" in "\n".join(read) and read[-1] == "When you have read it:"
    [welcome] = bot.texts(await tap(bot, newcomer, "✅ Continue and join"))
    assert "Welcome, Nora! You are registered as a <b>contact</b> of <b>IT</b>" in welcome
    async with bot.store.uow() as uow:
        assert await uow.members.by_telegram_id(600) is not None


async def test_a_used_up_invitation_is_refused_before_the_notice(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    created = await create_invite(bot.store.uow, None, Role.CONTACT, "IT", 1, 7, bot.clock.now())
    first, second = Identity(601, "First"), Identity(602, "Second")
    await bot.send(first, f"/start {created.token}")
    await bot.send(second, f"/start {created.token}")  # both see the notice: the use is not taken yet
    await tap(bot, first, "✅ Continue and join")
    [late] = alerts(await tap(bot, second, "✅ Continue and join"))
    assert "already been used as many times as it allows" in late
    [refused] = bot.texts(await bot.send(Identity(603, "Third"), f"/start {created.token}"))
    assert "already been used" in refused


async def test_an_access_request_starts_with_the_privacy_notice(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    guest = people["guest"]
    await bot.send(guest, "/start")
    [notice] = bot.texts(await tap(bot, guest, "Request access"))
    assert "Before you go on" in notice
    read = bot.texts(await tap(bot, guest, "📄 Privacy statement"))
    assert "Your rights" in "\n".join(read)
    [asked] = bot.texts(await tap(bot, guest, "✅ Continue"))
    assert "What is your full name" in asked
    [next_step] = bot.texts(await bot.send(guest, "Gus Example"))
    assert "Which delegation" in next_step


@pytest.fixture
async def own_statement_bot(store: Store, clock: FixedClock, tmp_path: Path) -> AsyncIterator[BotHarness]:
    """The bot with a deployer's statement in English only, and other retention periods."""
    (tmp_path / "privacy.en.html").write_text(
        "<b>Our own statement</b>\nTexts are kept {payload_days} days. Contact: dpo@example.eu",
        encoding="utf-8",
    )
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, privacy_file=str(tmp_path / "privacy.{language}.html"), retention_payload_days=7
    )
    harness = BotHarness(store, clock, settings)
    await harness.start()
    yield harness
    await harness.stop()
    assert not harness.errors


async def test_a_deployers_statement_replaces_the_shipped_one(own_statement_bot: BotHarness) -> None:
    bot = own_statement_bot
    [english] = bot.texts(await bot.send(Identity(700, "Ed"), "/privacy"))
    assert english == "<b>Our own statement</b>\nTexts are kept 7 days. Contact: dpo@example.eu"
    [french] = bot.texts(await bot.send(Identity(701, "Élise", language_code="fr"), "/privacy"))
    assert french == english, "a language without its own file gets the English one"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("<b>Bold</i>", "does not close"),
        ("<div>Block</div>", "<div> is not a tag Telegram shows"),
        ("Research & development", "bare &"),
        ("<b>never closed", "never closed"),
        ("   ", "empty"),
    ],
)
def test_a_statement_telegram_cannot_show_stops_the_bot_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, problem: str
) -> None:
    path = tmp_path / "privacy.html"
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("PRIVACY_FILE", str(path))
    with pytest.raises(SettingsError, match="PRIVACY_FILE") as raised:
        load_settings(_env_file=None)
    assert problem in str(raised.value)


def test_a_missing_statement_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACY_FILE", str(tmp_path / "nowhere.{language}.html"))
    with pytest.raises(
        SettingsError, match=r"PRIVACY_FILE: expected a readable file \(no file at .*nowhere\.en\.html"
    ):
        load_settings(_env_file=None)


def test_a_long_statement_is_cut_between_paragraphs_and_tags_stay_whole() -> None:
    from handlers.privacy import statement_parts

    paragraphs = [f"<b>{n}. Heading</b>\n" + "word " * 300 for n in range(1, 8)]
    parts = statement_parts("\n\n".join(paragraphs))
    assert all(len(p) <= 4096 and statement_problem(p) is None for p in parts)
    assert all(p.startswith("<b>") for p in parts), "every message starts at a paragraph"
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    spanning = "<i>" + "\n\n".join(paragraphs) + "</i>"  # a tag across paragraphs: cut on lines instead
    assert all(statement_problem(p) is None for p in statement_parts(spanning))
