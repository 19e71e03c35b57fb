"""Rules of consultation rounds: reminder times across a clock change, labels, deadlines, outcomes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.round_checks import check_labels, headline, outcome
from bot.domain.round_times import due_stage, parse_deadline, stage_times
from bot.domain.rounds import Answer, Outcome, Reply, RoundKind, Stage
from bot.domain.vocab import Tlp

ZONE = "Europe/Brussels"
UTC = dt.UTC


def test_reminders_keep_their_local_time_across_the_spring_clock_change() -> None:
    deadline = parse_deadline("2027-03-30 17:00", ZONE)  # summer time: 15:00 UTC
    assert deadline == dt.datetime(2027, 3, 30, 15, 0, tzinfo=UTC)
    times = stage_times(deadline, ZONE)
    assert times[Stage.DAYS3] == dt.datetime(2027, 3, 27, 16, 0, tzinfo=UTC)  # 17:00 winter time
    assert times[Stage.DAY1] == dt.datetime(2027, 3, 29, 15, 0, tzinfo=UTC)
    assert times[Stage.HOURS2] == dt.datetime(2027, 3, 30, 13, 0, tzinfo=UTC)
    assert due_stage(deadline, ZONE, times[Stage.DAYS3] - dt.timedelta(seconds=1)) is None
    assert due_stage(deadline, ZONE, times[Stage.DAYS3]) is Stage.DAYS3
    assert due_stage(deadline, ZONE, times[Stage.HOURS2]) is Stage.HOURS2
    assert due_stage(deadline, ZONE, deadline) is None


def test_a_time_the_clocks_skip_is_refused_and_a_bad_format_explained() -> None:
    with pytest.raises(InvalidInput) as skipped:
        parse_deadline("2027-03-28 02:30", ZONE)
    assert skipped.value.message_id == "rounds.deadline_skipped"
    with pytest.raises(InvalidInput) as bad:
        parse_deadline("next friday", ZONE)
    assert bad.value.message_id == "rounds.deadline_format"


def test_answers_may_be_stricter_than_the_questions_never_looser() -> None:
    check_labels(Tlp.GREEN, Tlp.AMBER)
    check_labels(Tlp.AMBER, Tlp.AMBER)
    with pytest.raises(InvalidInput):
        check_labels(Tlp.AMBER, Tlp.GREEN)


def test_silence_counts_as_agreement_and_an_objection_stops_adoption() -> None:
    now = dt.datetime(2026, 12, 1, tzinfo=UTC)

    def given(code: str, reply: Reply) -> Answer:
        return Answer(1, code, reply, ("text",) if reply is not Reply.AGREE else (), 1, now)

    silent = headline(["DE", "FR", "IT"], {"DE": given("DE", Reply.AGREE)})
    assert (silent.answered, silent.silence) == (1, 2)
    assert outcome(RoundKind.CONSULTATION, silent) is Outcome.ADOPTED
    commented = headline(["DE", "FR"], {"DE": given("DE", Reply.COMMENTS)})
    assert outcome(RoundKind.CONSULTATION, commented) is Outcome.ADOPTED_WITH_COMMENTS
    objected = headline(["DE", "FR"], {"DE": given("DE", Reply.COMMENTS), "FR": given("FR", Reply.OBJECTION)})
    assert outcome(RoundKind.CONSULTATION, objected) is Outcome.NOT_ADOPTED
    assert outcome(RoundKind.QUERY, objected) is None
