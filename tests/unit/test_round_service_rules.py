"""The round services' rules on the in-memory store: who launches, answers, sees and manages; labels and
deadlines; one answer per delegation with its history; reminders once and none after an answer; the
compilation made once, to whoever may read its label, silence counted as agreement."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.rounds import Outcome, Question, QuestionKind, Reply, RoundDraft, RoundKind
from bot.domain.vocab import Role, Tlp
from bot.services import round_answers, round_deadlines, rounds
from bot.services.actors import Actor
from handlers.rounds_messages import RoundMessenger, document_labels
from tests.unit.fakes import FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 12, 4, 16, 0, tzinfo=dt.UTC)
ADMIN, FR, DE, DE_OBSERVER, IT, FRONTEX = 101, 102, 103, 104, 105, 106
MESSAGES = RoundMessenger()


@pytest.fixture
def fake() -> FakeStore:
    store = seeded()
    store.add_member(ADMIN, Role.ADMIN, "GSC")
    store.add_member(FR, Role.CONTACT, "FR")
    store.add_member(DE, Role.CONTACT, "DE")
    store.add_member(DE_OBSERVER, Role.OBSERVER, "DE")
    store.add_member(IT, Role.CONTACT, "IT")
    store.add_member(FRONTEX, Role.CONTACT, "FRONTEX")
    return store


def draft(**changes: object) -> RoundDraft:
    base = RoundDraft(
        key="k1",
        kind=RoundKind.QUERY,
        title="Readmission with Mauritania",
        background="Why we ask.",
        questions=(Question("Arrangement?", QuestionKind.YESNO), Question("How?")),
        delegations=("DE", "IT"),
        question_tlp=Tlp.GREEN,
        answer_tlp=Tlp.AMBER,
        deadline=DEADLINE,
        zone="Europe/Brussels",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


async def launched(fake: FakeStore, **changes: object) -> int:
    rnd, _ = await rounds.launch(fake.factory, Actor(FR), draft(**changes), NOW, MESSAGES)
    return rnd.id


@pytest.mark.parametrize(
    ("who", "kind", "in_group"),
    [(FRONTEX, RoundKind.QUERY, False), (FR, RoundKind.CONSULTATION, False), (FR, RoundKind.QUERY, True)],
)
async def test_who_may_not_launch(fake: FakeStore, who: int, kind: RoundKind, in_group: bool) -> None:
    fake.add_member(107, Role.OBSERVER, "FRONTEX")
    actor = Actor(107 if who == FRONTEX else who, in_group=in_group, group_id=-1 if in_group else None)
    with pytest.raises(NotAllowed):
        await rounds.launch(fake.factory, actor, draft(kind=kind), NOW, MESSAGES)
    assert fake.tables.rounds.rounds == {} and fake.commits == 0


@pytest.mark.parametrize(
    ("changes", "message_id"),
    [
        ({"answer_tlp": Tlp.CLEAR}, "rounds.answer_looser"),
        ({"deadline": NOW + dt.timedelta(hours=23)}, "rounds.deadline_soon"),
        ({"questions": ()}, "rounds.no_questions"),
        ({"delegations": ("DE", "FRONTEX"), "question_tlp": Tlp.AMBER}, "rounds.label_excludes"),
    ],
)
async def test_launch_refuses_bad_rounds(
    fake: FakeStore, changes: dict[str, object], message_id: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await launched(fake, **changes)
    assert refused.value.message_id == message_id
    assert fake.rows() == [] and fake.actions() == []


async def test_launch_once_tells_who_may_answer(fake: FakeStore) -> None:
    first = await launched(fake)
    again, new = await rounds.launch(fake.factory, Actor(FR), draft(), NOW, MESSAGES)
    assert again.id == first and not new
    told = sorted(r.message.chat_id for r in fake.rows(f"round:{first}"))
    assert told == [DE, IT]  # not DE's observer, not the launcher
    assert fake.actions() == ["round.launched"]


async def test_one_answer_per_delegation_changed_until_the_deadline(fake: FakeStore) -> None:
    round_id = await launched(fake)
    values = ("yes\nSince 2019", "Missions")
    _, first = await round_answers.answer(fake.factory, Actor(DE), round_id, Reply.ANSWERED, values, NOW)
    _, again = await round_answers.answer(fake.factory, Actor(DE), round_id, Reply.NO_INFORMATION, (), NOW)
    assert first and not again
    history = await round_answers.history(fake.factory, Actor(FR), round_id, "DE")
    assert [a.reply for a in history] == [Reply.ANSWERED, Reply.NO_INFORMATION]
    with pytest.raises(NotAllowed):
        await round_answers.history(fake.factory, Actor(IT), round_id, "DE")
    with pytest.raises(NotAllowed):  # an observer of an asked delegation reads, but does not answer
        await round_answers.answer(fake.factory, Actor(DE_OBSERVER), round_id, Reply.NO_INFORMATION, (), NOW)
    with pytest.raises(NotAllowed):
        await round_answers.answer(fake.factory, Actor(FR), round_id, Reply.NO_INFORMATION, (), NOW)
    with pytest.raises(InvalidInput):
        await round_answers.answer(fake.factory, Actor(IT), round_id, Reply.AGREE, (), NOW)
    with pytest.raises(InvalidInput):
        await round_answers.answer(fake.factory, Actor(IT), round_id, Reply.ANSWERED, ("maybe", "x"), NOW)
    with pytest.raises(Conflict):
        await round_answers.answer(fake.factory, Actor(IT), round_id, Reply.NO_INFORMATION, (), DEADLINE)
    with pytest.raises(NotFound):  # not involved: the round does not exist for them
        await rounds.view(fake.factory, Actor(FRONTEX), round_id, NOW)
    assert fake.actions() == ["round.launched", "round.answered", "round.answer_changed"]


async def test_reminders_once_and_none_after_an_answer(fake: FakeStore) -> None:
    round_id = await launched(fake)
    await round_answers.answer(fake.factory, Actor(IT), round_id, Reply.NOT_APPLICABLE, (), NOW)
    three_days = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)
    done = await round_deadlines.remind_due(fake.factory, three_days, MESSAGES)
    assert (done.delegations, done.messages) == (1, 1)
    assert (await round_deadlines.remind_due(fake.factory, three_days, MESSAGES)).messages == 0
    # Down from then until two hours before: the day-before reminder is not sent late, the last one is.
    two_hours = DEADLINE - dt.timedelta(hours=2)
    assert (await round_deadlines.remind_due(fake.factory, two_hours, MESSAGES)).messages == 1
    keys = sorted(r.message.dedupe_key for r in fake.rows(f"round:{round_id}"))
    assert [k.split(":")[3] for k in keys if ":remind:" in k] == ["2h", "3d"]


async def test_extension_by_the_launcher_rearms_reminders(fake: FakeStore) -> None:
    round_id = await launched(fake)
    later = DEADLINE + dt.timedelta(days=7)
    with pytest.raises(NotAllowed):
        await round_deadlines.extend(fake.factory, Actor(DE), round_id, later, NOW, MESSAGES)
    with pytest.raises(InvalidInput):
        await round_deadlines.extend(fake.factory, Actor(FR), round_id, DEADLINE, NOW, MESSAGES)
    three_days = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)
    assert (await round_deadlines.remind_due(fake.factory, three_days, MESSAGES)).messages == 2
    moved = await round_deadlines.extend(fake.factory, Actor(ADMIN), round_id, later, three_days, MESSAGES)
    assert moved.deadline == later
    new_stage = dt.datetime(2026, 12, 8, 16, 0, tzinfo=dt.UTC)
    assert (await round_deadlines.remind_due(fake.factory, new_stage, MESSAGES)).messages == 2
    assert "round.extended" in fake.actions()


async def test_compiled_once_for_those_who_may_read_its_label(fake: FakeStore) -> None:
    round_id = await launched(fake)
    await round_answers.answer(fake.factory, Actor(DE), round_id, Reply.NO_INFORMATION, (), NOW)
    assert await round_deadlines.compile_due(fake.factory, NOW, MESSAGES, document_labels) == []
    [made] = await round_deadlines.compile_due(fake.factory, DEADLINE, MESSAGES, document_labels)
    assert await round_deadlines.compile_due(fake.factory, DEADLINE, MESSAGES, document_labels) == []
    assert (made.headline.asked, made.headline.answered, made.headline.silence) == (2, 1, 1)
    readers = {
        r.message.chat_id for r in fake.rows(f"round:{round_id}") if ":compiled:" in r.message.dedupe_key
    }
    assert readers == {ADMIN, FR, DE, IT}  # AMBER: not DE's observer, not Frontex
    assert fake.actions()[-1] == "round.compiled"


async def test_a_consultation_counts_silence_as_agreement(fake: FakeStore) -> None:
    consultation = draft(kind=RoundKind.CONSULTATION, questions=(), answer_tlp=Tlp.GREEN, key="c1")
    rnd, _ = await rounds.launch(fake.factory, Actor(ADMIN), consultation, NOW, MESSAGES)
    with pytest.raises(InvalidInput):  # an objection needs its reasons
        await round_answers.answer(fake.factory, Actor(DE), rnd.id, Reply.OBJECTION, (), NOW)
    await round_answers.answer(fake.factory, Actor(DE), rnd.id, Reply.AGREE, (), NOW)
    await round_deadlines.close_early(fake.factory, Actor(ADMIN), rnd.id, NOW)
    [made] = await round_deadlines.compile_due(fake.factory, NOW, MESSAGES, document_labels)
    assert made.outcome is Outcome.ADOPTED and made.headline.silence == 1
    assert made.round.closed_early_at == NOW
