"""Consultation rounds in the archive, on real SQLite and PostgreSQL: a period's rounds with their
questions, labels, every answer version (who, when) and the compilation's counts, read back from the zip;
an erased answerer appears under the pseudonym only."""

from __future__ import annotations

import io
import json

from bot.console.updates import Identity
from bot.domain.archive import read_archive
from bot.domain.rounds import Question, QuestionKind, Reply, RoundDraft, RoundKind
from bot.domain.vocab import Role, Tlp
from bot.services import round_answers, round_deadlines, rounds
from bot.services.actors import Actor
from bot.services.privacy import erase_member
from handlers.rounds_messages import RoundMessenger, document_labels
from tests.conftest import register
from tests.harness import BotHarness
from tests.storage.test_archive import archived, utc

DIETER, GIULIA = 201, 202
DEADLINE = utc(2027, 1, 20, 16)
LATER = utc(2027, 1, 27, 16)  # the consultation's deadline


def a_round(key: str, kind: RoundKind, answer_tlp: Tlp = Tlp.AMBER) -> RoundDraft:
    """A query asking DE, IT and ES by 20 January; a consultation asking DE and IT by 27 January."""
    query = kind is RoundKind.QUERY
    return RoundDraft(
        key=key,
        kind=kind,
        title=f"Readmission with Mauritania ({key})",
        background="Why we ask.",
        questions=(Question("Arrangement?", QuestionKind.YESNO), Question("How?")) if query else (),
        delegations=("DE", "ES", "IT") if query else ("DE", "IT"),
        question_tlp=Tlp.GREEN,
        answer_tlp=answer_tlp,
        deadline=DEADLINE if query else LATER,
        zone="Europe/Brussels",
    )


async def rounds_of_january(bot: BotHarness, people: dict[str, Identity]) -> dict[str, int]:
    """A December query (outside), a January query answered, changed and compiled, and a consultation
    still open."""
    await register(bot.store, DIETER, Role.CONTACT, "DE", "Dieter")
    await register(bot.store, GIULIA, Role.CONTACT, "IT", "Giulia")
    claire, ana = Actor(people["contact"].user_id), Actor(people["admin"].user_id)
    messages = RoundMessenger()
    ids = {}
    for key, actor, kind, at in (
        ("december", claire, RoundKind.QUERY, utc(2026, 12, 31, 22, 59)),  # 23:59 in Brussels
        ("query", claire, RoundKind.QUERY, utc(2027, 1, 4, 9)),
        ("consultation", ana, RoundKind.CONSULTATION, utc(2027, 1, 5, 9)),
    ):
        answer_tlp = Tlp.RED if kind is RoundKind.CONSULTATION else Tlp.AMBER
        rnd, _ = await rounds.launch(bot.store.uow, actor, a_round(key, kind, answer_tlp), at, messages)
        ids[key] = rnd.id
    query, consultation = ids["query"], ids["consultation"]
    for who, round_id, reply, values, at in (
        (DIETER, query, Reply.ANSWERED, ("yes\nsince 2003", "Monthly flights."), utc(2027, 1, 6, 10)),
        (GIULIA, query, Reply.NO_INFORMATION, (), utc(2027, 1, 7, 10)),
        (DIETER, query, Reply.ANSWERED, ("partly", "Charter flights; no escort."), utc(2027, 1, 8, 10)),
        (DIETER, consultation, Reply.COMMENTS, ("Paragraph 3: say 'may'.",), utc(2027, 1, 9, 10)),
    ):
        await round_answers.answer(bot.store.uow, Actor(who), round_id, reply, values, at)
    compiled = await round_deadlines.compile_due(bot.store.uow, DEADLINE, messages, document_labels)
    assert {c.round.id for c in compiled} == {ids["december"], query}
    return ids


async def test_the_rounds_of_a_period_read_back_with_every_answer_version(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    ids = await rounds_of_january(bot, people)
    contents = read_archive(io.BytesIO(await archived(bot)))  # raises if any checksum or count is off

    section = next(s for s in contents.manifest["sections"] if s["name"] == "rounds")
    assert section["records"] == 2
    query, consultation = contents.documents["rounds"]
    assert [query["id"], consultation["id"]] == [ids["query"], ids["consultation"]]
    assert (query["question_tlp"], query["answer_tlp"], query["readers"]) == ("TLP:GREEN", "TLP:AMBER", [])
    assert (query["launcher"], query["delegation"], query["asked"]) == ("Claire", "FR", ["DE", "ES", "IT"])
    assert query["deadline"] == "2027-01-20T16:00:00+00:00" and query["status"] == "compiled"
    assert [q["text"] for q in query["questions"]] == ["Arrangement?", "How?"]
    assert query["compilation"] == {
        "asked": 3,
        "answered": 2,
        "no_information": 1,
        "not_applicable": 0,
        "silence": 1,
        "by_reply": {"answered": ["DE"], "no_information": ["IT"], "silence": ["ES"]},
    }
    german, italian = query["answers"]
    assert german["values"] == ["partly", "Charter flights; no escort."]
    assert [(v["values"], v["member"], v["at"]) for v in german["versions"]] == [
        (["yes\nsince 2003", "Monthly flights."], "Dieter", "2027-01-06T10:00:00+00:00"),
        (["partly", "Charter flights; no escort."], "Dieter", "2027-01-08T10:00:00+00:00"),
    ]
    assert (italian["reply"], italian["member"], len(italian["versions"])) == ("no_information", "Giulia", 1)
    assert (consultation["answer_tlp"], consultation["readers"]) == ("TLP:RED", ["DE", "IT"])
    assert consultation["compilation"] is None and consultation["outcome"] is None

    [row, open_row] = contents.tables["rounds.csv"]
    assert (row["asked"], row["count_answered"], row["count_silence"]) == ("DE; ES; IT", "2", "1")
    assert open_row["count_asked"] == "" and open_row["readers"] == "DE; IT"
    assert [q["text"] for q in contents.tables["round_questions.csv"]] == ["Arrangement?", "How?"]
    versions = contents.tables["round_answers.csv"]
    assert [(v["delegation"], v["version"], v["current"]) for v in versions] == [
        ("DE", "1", "false"),
        ("DE", "2", "true"),
        ("IT", "1", "true"),
        ("DE", "1", "true"),
    ]
    assert versions[1]["answer_2"] == "Charter flights; no escort." and versions[1]["tlp"] == "TLP:AMBER"
    assert versions[0]["answer_1"] == "yes\nsince 2003" and versions[3]["tlp"] == "TLP:RED"


async def test_a_compiled_consultation_states_its_outcome(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    ids = await rounds_of_january(bot, people)
    await round_deadlines.compile_due(bot.store.uow, LATER, RoundMessenger(), document_labels)
    contents = read_archive(io.BytesIO(await archived(bot)))
    consultation = contents.documents["rounds"][1]
    assert consultation["id"] == ids["consultation"]
    assert (consultation["outcome"], consultation["compilation"]["by_reply"]) == (
        "adopted_with_comments",
        {"comments": ["DE"], "silence": ["IT"]},
    )


async def test_an_erased_answerer_is_archived_under_the_pseudonym(
    bot: BotHarness, people: dict[str, Identity]
) -> None:
    await rounds_of_january(bot, people)
    async with bot.store.uow() as uow:
        dieter = await uow.members.by_telegram_id(DIETER)
    assert dieter is not None
    erasure = await erase_member(bot.store.uow, None, dieter.id, bot.clock.now(), via="command line")
    contents = read_archive(io.BytesIO(await archived(bot)))
    german = contents.documents["rounds"][0]["answers"][0]
    assert {v["member"] for v in german["versions"]} == {german["member"]} == {erasure.pseudonym}
    assert "Dieter" not in json.dumps(contents.documents, ensure_ascii=False)
    assert all(v["member"] != "Dieter" for v in contents.tables["round_answers.csv"])
