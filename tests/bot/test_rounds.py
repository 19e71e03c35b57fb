"""Consultation rounds end to end through process_update, on SQLite and PostgreSQL: a query launched with
its questions, answered (changed, one tap, refused after the deadline), reminded, compiled with both
documents read back, per reader's TLP; a written consultation with silence counted as agreement."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import docx
import openpyxl
from sqlalchemy import func, select
from telegram import Update

from bot.console.botapi import ApiCall
from bot.console.updates import Identity
from bot.domain.vocab import Role
from handlers.context import DEPS_KEY
from handlers.rounds_jobs import sweep
from storage.factory import Store
from storage.models import AuditRow
from storage.round_models import RoundReminderRow
from tests.bot.flows import alerts, tap
from tests.conftest import register
from tests.harness import BotHarness

DEADLINE_LOCAL = "2026-12-04 17:00"  # Europe/Brussels, winter: 16:00 UTC
DEADLINE = dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)


async def run_sweep(bot: BotHarness) -> tuple[int, int]:
    """What the minute's job does, then the outbox sent."""
    done = await sweep(bot.app.bot_data[DEPS_KEY])
    await bot.deliver()
    return done


def to(bot: BotHarness, who: Identity, calls: list[ApiCall] | None = None) -> list[ApiCall]:
    chat = int(who.chat["id"])
    return [
        c for c in (calls if calls is not None else bot.api.calls) if int(c.params.get("chat_id", 0)) == chat
    ]


async def launch_query(
    bot: BotHarness,
    launcher: Identity,
    codes: list[str],
    qtlp: str,
    atlp: str,
    deadline: str = DEADLINE_LOCAL,
) -> None:
    await bot.send(launcher, "/newround")
    await bot.send(launcher, "Readmission arrangements with Mauritania")
    await bot.send(launcher, "We prepare the dialogue and want to know the practice.")
    await bot.send(launcher, "Does your country have a readmission arrangement with Mauritania?")
    await tap(bot, launcher, "Yes / no / partly")
    await tap(bot, launcher, "➕ Another question")
    await bot.send(launcher, "How does it work in practice?")
    await tap(bot, launcher, "Free text")
    await tap(bot, launcher, "Done")
    await tap(bot, launcher, "Chosen delegations")
    for code in codes:
        await tap(bot, launcher, code)
    await tap(bot, launcher, f"Done ({len(codes)})")
    await tap(bot, launcher, qtlp)
    await tap(bot, launcher, atlp)
    await bot.send(launcher, deadline)
    calls = await tap(bot, launcher, "🚀 Launch")
    assert any("was launched: 3 delegations asked" in x for x in bot.texts(calls)), bot.texts(calls)


def captioned(bot: BotHarness, who: Identity, name: str, caption: str) -> Update:
    """A document sent with a caption."""
    update = bot.updates.attachment(who, "document", name)
    body = update.to_dict()
    body["message"]["caption"] = caption
    return Update.de_json(body, bot.app.bot)


def documents(calls: list[ApiCall]) -> dict[str, bytes]:
    found = {}
    for call in calls:
        if call.method == "sendDocument" and "_files" in call.params:
            name, content = call.params["_files"]["document"][:2]
            found[name.rsplit(".", 1)[-1]] = content
    return found


async def test_a_query_from_launch_to_compilation(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    launcher = people["contact"]  # FR
    de = await register(store, 201, Role.CONTACT, "DE", "Dieter")
    it = await register(store, 202, Role.CONTACT, "IT", "Irene", language="fr")
    el = await register(store, 203, Role.CONTACT, "EL", "Eleni")
    await launch_query(bot, launcher, ["DE", "EL", "IT"], "TLP:GREEN", "TLP:AMBER")
    opened = bot.texts(to(bot, de))
    assert any("A new query for your delegation" in x and "Mauritania" in x for x in opened)
    assert any("Une nouvelle enquête" in x for x in bot.texts(to(bot, it)))

    # DE answers question by question, then changes its answer; IT says "no information" in one tap.
    await tap(bot, de, "🗳 Open the round")
    await tap(bot, de, "✍️ Answer")
    await tap(bot, de, "Yes")
    await bot.send(de, "Since 2019, by exchange of letters.")
    await bot.send(de, "Identification missions twice a year.")
    calls = await tap(bot, de, "✅ Submit")
    assert any("was submitted" in x for x in bot.texts(calls))
    await tap(bot, de, "🗳 Open the round")
    await tap(bot, de, "✍️ Change the answer")
    await tap(bot, de, "Partly")
    await tap(bot, de, "No comment")
    await bot.send(de, "Identification missions, now three a year.")
    calls = await tap(bot, de, "✅ Submit")
    assert any("was changed" in x for x in bot.texts(calls))
    await tap(bot, it, "🗳 Ouvrir")
    calls = await tap(bot, it, "Pas d'information")
    assert any("est envoyée" in x for x in bot.texts(calls))

    # The launcher's live status: submitted answers only, who has not answered.
    await bot.send(launcher, "/rounds")
    await tap(bot, launcher, "#1 Readmission arrangements")
    status = bot.texts(await tap(bot, launcher, "📊 Status and answers"))[-1]
    assert "2 of 3 delegations answered" in status and "Not answered yet: EL" in status
    assert "three a year" in status and "twice a year" not in status

    # Reminders: three days before, to EL only (the others answered), once.
    bot.clock.current = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)
    before = len(bot.api.calls)
    assert (await run_sweep(bot))[1] == 1
    reminded = bot.api.calls[before:]
    assert [int(c.params["chat_id"]) for c in reminded if c.method == "sendMessage"] == [203]
    assert "Three days left" in bot.texts(reminded)[0]
    assert await run_sweep(bot) == (0, 0)

    # After the deadline an answer is refused, even before the compilation is made.
    bot.clock.current = DEADLINE + dt.timedelta(seconds=1)
    refused = await bot.press(
        el, {"message_id": 1, "date": 0, "chat": el.chat, "text": "x"}, "rnd:tap:1:no_information"
    )
    assert any("closed" in a for a in alerts(refused))

    before = len(bot.api.calls)
    assert (await run_sweep(bot))[0] == 1
    compiled = bot.api.calls[before:]
    assert await run_sweep(bot) == (0, 0)  # made once
    for who in (launcher, de, it, el, people["admin"]):
        got = to(bot, who, compiled)
        assert len([c for c in got if c.method == "sendDocument"]) == 2, who
        assert all(c.params.get("protect_content") for c in got)
    assert not to(bot, people["observer"], compiled)  # an observer never receives an AMBER compilation
    text = "\n".join(bot.texts(to(bot, launcher, compiled)))
    assert "Asked 3 · answered 2 (no information 1, not applicable 0) · silent 1" in text
    assert "<b>DE</b>: Partly" in text

    files = documents(to(bot, launcher, compiled))
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["Delegation", "Answer"] and "readmission arrangement" in str(rows[0][2])
    assert rows[1] == ["DE", "answered", "Partly", "Identification missions, now three a year."]
    assert rows[2] == ["EL", "No answer", "No answer", "No answer"]
    assert rows[3][:2] == ["IT", "No information"]
    paragraphs = [p.text for p in docx.Document(io.BytesIO(files["docx"])).paragraphs]
    assert paragraphs.index("Background") < paragraphs.index("Questions") < paragraphs.index("Answers")
    assert paragraphs.index("DE") < paragraphs.index("EL") < paragraphs.index("IT")
    assert "Question 2: Identification missions, now three a year." in paragraphs

    # Found again by its words (its answers too, for whoever may read the compilation), documents again.
    found = bot.texts(await bot.send(launcher, "/rounds three year"))
    assert any("1 round holds those words" in x for x in found)
    assert any(
        "No round you may see" in x
        for x in bot.texts(await bot.send(people["observer"], "/rounds three year"))
    )
    searched = bot.texts(await bot.send(launcher, "/search identification missions"))
    assert any("Rounds holding these words: #1 (1)" in x for x in searched)
    searched = bot.texts(await bot.send(people["observer"], "/search identification missions"))
    assert not any("Rounds holding" in x for x in searched)
    await bot.send(launcher, "/rounds")
    await tap(bot, launcher, "#1 Readmission arrangements")
    again = await tap(bot, launcher, "📎 Spreadsheet and document")
    assert sorted(documents(again)) == ["docx", "xlsx"]
    assert all(c.params.get("protect_content") for c in again if c.method == "sendDocument")

    async with store.uow() as uow:
        actions = [e.action for e in await uow.audit.latest(50)]
        history = await uow.rounds.history(1, "DE")
    for action in ("round.launched", "round.answered", "round.answer_changed", "round.compiled"):
        assert action in actions
    assert len(history) == 2 and history[0].values[1] == "Identification missions twice a year."


async def test_written_consultation_silence_counts_as_agreement(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    admin = people["admin"]
    de = await register(store, 201, Role.CONTACT, "DE", "Dieter")
    await register(store, 202, Role.CONTACT, "IT", "Irene")
    await register(store, 203, Role.CONTACT, "EL", "Eleni")
    await bot.send(admin, "/rounds")
    await tap(bot, admin, "➕ Written consultation")
    await bot.send(admin, "EU position for the Rabat Process senior officials meeting")
    await bot.send(admin, "The EU supports the action plan's five domains.")
    await tap(bot, admin, "No document")
    await tap(bot, admin, "Chosen delegations")
    await tap(bot, admin, "DE")
    await tap(bot, admin, "IT")
    await tap(bot, admin, "EL")
    await tap(bot, admin, "Done (3)")
    await tap(bot, admin, "TLP:GREEN")
    await tap(bot, admin, "TLP:GREEN")
    await tap(bot, admin, "In 7 days, 17:00")
    await tap(bot, admin, "🚀 Launch")
    await tap(bot, de, "🗳 Open the round")
    await tap(bot, de, "Comments")
    calls = await bot.send(de, "Add a reference to return and reintegration.")
    assert any("was submitted (Comments)" in x for x in bot.texts(calls))
    it = Identity(202, "Irene")
    await tap(bot, it, "🗳 Open the round")
    await tap(bot, it, "Objection / scrutiny reservation")
    calls = await bot.process(captioned(bot, it, "it-reservation.pdf", "Parliamentary scrutiny reservation."))
    assert any("was submitted (Objection" in x for x in bot.texts(calls))
    await bot.send(admin, "/rounds")
    await tap(bot, admin, "#1 EU position for the Raba")
    status = await tap(bot, admin, "📊 Status and answers")
    assert any("📎 with a document" in x for x in bot.texts(status))
    sent = await tap(bot, admin, "📎 IT")
    assert [c.params["document"] for c in sent if c.method == "sendDocument"] == [
        "console-document-it-reservation.pdf"
    ]
    await tap(bot, it, "🗳 Open the round")
    await tap(bot, it, "Agree")  # the reservation is lifted before the deadline

    # Extended, then closed early by the admin: the compilation follows at once.
    await bot.send(admin, "/rounds")
    await tap(bot, admin, "#1 EU position for the Raba")
    await tap(bot, admin, "📅 Extend")
    calls = await bot.send(admin, "2026-12-11 17:00")
    assert any("Extended to 2026-12-11 17:00" in x for x in bot.texts(calls))
    assert any("was extended to 2026-12-11 17:00" in x for x in bot.texts(to(bot, de)))
    await bot.send(admin, "/rounds")
    await tap(bot, admin, "#1 EU position for the Raba")
    await tap(bot, admin, "⏹ Close early")
    calls = await tap(bot, admin, "Yes, close and compile")
    await bot.deliver()
    text = "\n".join(bot.texts(to(bot, de)))
    assert "Asked 3 · answered 2" in text and "silent 1" in text
    assert "adopted with comments" in text
    files = documents(to(bot, de))
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1:] == [
        ["DE", "Comments", "Comments — Add a reference to return and reintegration."],
        ["EL", "No answer: agrees (silence procedure)", "No answer: agrees (silence procedure)"],
        ["IT", "Agree", "Agree"],
    ]
    paragraphs = [p.text for p in docx.Document(io.BytesIO(files["docx"])).paragraphs]
    assert "Outcome: adopted with comments" in paragraphs
    async with store.uow() as uow:
        actions = [e.action for e in await uow.audit.latest(50)]
    assert "round.extended" in actions and "round.closed_early" in actions and "round.compiled" in actions


async def test_forged_and_foreign_buttons_change_nothing(
    bot: BotHarness, store: Store, people: dict[str, Identity]
) -> None:
    await register(store, 201, Role.CONTACT, "DE", "Dieter")
    await register(store, 202, Role.CONTACT, "IT", "Irene")
    await register(store, 203, Role.CONTACT, "EL", "Eleni")
    await launch_query(bot, people["contact"], ["DE", "EL", "IT"], "TLP:GREEN", "TLP:AMBER")
    message: dict[str, Any] = {"message_id": 1, "date": 0, "chat": people["observer"].chat, "text": "x"}
    for who in ("observer", "revoked", "guest"):
        for data in ("rnd:tap:1:no_information", "rnd:v:1", "rnd:st:1", "rnd:closeok:1", "rnd:tap:1:silence"):
            message["chat"] = people[who].chat
            calls = await bot.press(people[who], message, data)
            assert alerts(calls), (who, data)
    async with store.uow() as uow:
        assert await uow.rounds.answers(1) == {}
    async with store.engine.connect() as connection:
        reminders = await connection.scalar(select(func.count()).select_from(RoundReminderRow))
        audits = await connection.scalar(select(func.count()).select_from(AuditRow))
    assert reminders == 3 and audits is not None


async def test_questions_an_asked_delegation_could_not_read_are_refused(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    launcher = people["contact"]
    await bot.send(launcher, "/newround")
    await bot.send(launcher, "Return sponsorship in practice")
    await bot.send(launcher, "Background.")
    await bot.send(launcher, "Do you take part?")
    await tap(bot, launcher, "Yes / no / partly")
    await tap(bot, launcher, "Done")
    await tap(bot, launcher, "Everyone, incl. institutions and observers")
    refused = alerts(await tap(bot, launcher, "TLP:AMBER"))
    assert refused and "cannot be read by" in refused[0] and "FRONTEX" in refused[0]
    calls = await tap(bot, launcher, "TLP:GREEN")  # the same choice, still offered
    assert any("compiled answers' label" in x for x in bot.texts(calls))
