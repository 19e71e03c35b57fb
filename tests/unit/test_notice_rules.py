"""The notice service's rules on the in-memory store: audiences, the send time, sending once, and what
cancelling, stopping and withdrawing may do in each phase."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.model import Member
from bot.domain.notices import (
    CONFIRM_LATE,
    SEND_AHEAD,
    Audience,
    AudienceKind,
    Notice,
    NoticeDraft,
    NoticeStatus,
    check_send_time,
)
from bot.domain.outbox import STOPPED, Op, OutboxKind, OutboxStatus, Outgoing
from bot.domain.posting import FollowKind
from bot.domain.reveals import Hold, Reveals
from bot.domain.vocab import MemberStatus, Role
from bot.services import notices
from bot.services.actors import Actor
from tests.unit.fakes import MOROCCO, FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)
ADMIN, CONTACT, OBSERVER, OTHER, REVOKED, BLOCKED = 101, 102, 103, 104, 105, 106
EVERYONE = Audience(AudienceKind.EVERYONE)


def render(member: Member, notice: Notice) -> Outgoing:
    return Outgoing(
        chat_id=member.telegram_user_id,
        kind=OutboxKind.NOTICE,
        dedupe_key=f"{notice.job}:{member.id}",
        parts=(notice.text,),
        job=notice.job,
        member_id=member.id,
        reveals=Reveals(notice=notice.id),
    )


@pytest.fixture
def fake() -> FakeStore:
    """Admin (GSC), contacts of FR and DE, an observer, a revoked member and one who blocked the bot."""
    store = seeded()
    store.add_member(ADMIN, Role.ADMIN, "GSC")
    store.add_member(CONTACT, Role.CONTACT, "FR")
    store.add_member(OBSERVER, Role.OBSERVER, "FRONTEX")
    store.add_member(OTHER, Role.CONTACT, "DE")
    store.add_member(REVOKED, Role.CONTACT, "FR", status=MemberStatus.REVOKED)
    store.add_member(BLOCKED, Role.CONTACT, "FR", reachable=False)
    return store


def draft(
    audience: Audience = EVERYONE, send_at: dt.datetime = NOW, text: str = "Meeting moved", key: str = "n1"
) -> NoticeDraft:
    return NoticeDraft(key, text, audience, send_at)


async def broadcast(
    fake: FakeStore, notice: NoticeDraft | None = None, who: int = ADMIN
) -> notices.Broadcast:
    return await notices.broadcast(fake.factory, Actor(who), notice or draft(), NOW, render)


def recipients(fake: FakeStore, job: str) -> set[int]:
    return {r.message.chat_id for r in fake.rows(job)}


async def test_a_notice_for_now_is_queued_to_every_active_reachable_member_once(fake: FakeStore) -> None:
    made = await broadcast(fake)
    assert made.new
    assert recipients(fake, made.notice.job) == {ADMIN, CONTACT, OBSERVER, OTHER}
    assert made.notice.recipients == 4
    again = await broadcast(fake)
    assert (again.new, again.notice) == (False, made.notice)
    assert len(fake.rows()) == 4
    assert fake.actions() == ["notice.created"]
    assert fake.tables.audit[0].details == {
        "audience": "everyone",
        "values": [],
        "recipients": 4,
        "send_at": NOW.isoformat(),
    }


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience(AudienceKind.DELEGATIONS, ("FR", "FRONTEX")), {CONTACT, OBSERVER}),
        (Audience(AudienceKind.ROLE, ("observer",)), {OBSERVER}),
        (Audience(AudienceKind.ROLE, ("admin", "contact")), {ADMIN, CONTACT, OTHER}),
    ],
)
async def test_an_audience_names_delegations_or_roles(
    fake: FakeStore, audience: Audience, expected: set[int]
) -> None:
    assert await notices.audience_size(fake.factory, Actor(ADMIN), audience) == len(expected)
    made = await broadcast(fake, draft(audience))
    assert recipients(fake, made.notice.job) == expected


@pytest.mark.parametrize(
    ("kind", "target", "value"),
    [
        (FollowKind.REGION, "north_africa", "north_africa"),
        (FollowKind.COUNTRY, "MA", "MA"),
        (FollowKind.INITIATIVE, str(MOROCCO), str(MOROCCO)),
    ],
)
async def test_an_audience_of_followers_is_who_follows_it(
    fake: FakeStore, kind: FollowKind, target: str, value: str
) -> None:
    for who in (OBSERVER, REVOKED):
        fake.tables.follows.append((fake.member(who).id, kind, target))
    audience = Audience(AudienceKind(kind.value), (value,))
    made = await broadcast(fake, draft(audience))
    assert recipients(fake, made.notice.job) == {OBSERVER}


@pytest.mark.parametrize(
    "audience",
    [
        Audience(AudienceKind.DELEGATIONS, ("FR", "XX")),
        Audience(AudienceKind.ROLE, ("owner",)),
        Audience(AudienceKind.REGION, ("atlantis",)),
        Audience(AudienceKind.COUNTRY, ("XX",)),
        Audience(AudienceKind.INITIATIVE, ("999",)),
        Audience(AudienceKind.INITIATIVE, ("one",)),
    ],
)
async def test_an_audience_of_unknown_things_is_refused(fake: FakeStore, audience: Audience) -> None:
    with pytest.raises(InvalidInput, match=r"^broadcast\.bad_audience$"):
        await notices.audience_size(fake.factory, Actor(ADMIN), audience)
    with pytest.raises(InvalidInput, match=r"^broadcast\.bad_audience$"):
        await broadcast(fake, draft(audience))
    assert fake.tables.notices == {}


def test_everyone_has_no_values_and_the_others_need_some() -> None:
    with pytest.raises(InvalidInput):
        Audience(AudienceKind.EVERYONE, ("FR",))
    with pytest.raises(InvalidInput):
        Audience(AudienceKind.DELEGATIONS)


async def test_a_notice_may_be_scheduled_at_most_ninety_days_ahead(fake: FakeStore) -> None:
    """The flow offers only times within 90 days; any other caller is held to the same rule."""
    with pytest.raises(InvalidInput, match=r"^broadcast\.time_range$"):
        await broadcast(fake, draft(send_at=NOW + SEND_AHEAD + dt.timedelta(seconds=1)))
    assert fake.tables.notices == {}
    made = await broadcast(fake, draft(send_at=NOW + SEND_AHEAD))
    assert made.notice.send_at == NOW + SEND_AHEAD


async def test_a_notice_is_not_sent_in_the_past(fake: FakeStore) -> None:
    """A time chosen, then previewed, may have passed by `CONFIRM_LATE` at the confirm: it goes at once.
    Any earlier time is refused by the service, whoever calls it."""
    with pytest.raises(InvalidInput, match=r"^broadcast\.time_range$"):
        await broadcast(fake, draft(send_at=NOW - CONFIRM_LATE - dt.timedelta(seconds=1)))
    assert fake.tables.notices == {}
    made = await broadcast(fake, draft(send_at=NOW - CONFIRM_LATE))
    assert made.notice.dispatched and len(fake.rows(made.notice.job)) == 4


def test_a_typed_time_is_from_now_to_ninety_days_ahead() -> None:
    """What /broadcast checks as the time is typed: no slack for the past there."""
    assert check_send_time(NOW, NOW) == NOW
    assert check_send_time(NOW + SEND_AHEAD, NOW) == NOW + SEND_AHEAD
    for wrong in (NOW - dt.timedelta(seconds=1), NOW + SEND_AHEAD + dt.timedelta(seconds=1)):
        with pytest.raises(InvalidInput, match=r"^broadcast\.time_range$"):
            check_send_time(wrong, NOW)


@pytest.mark.parametrize(
    ("text", "message_id"),
    [(" \n", "broadcast.text_empty"), ("x" * 3501, "broadcast.text_long"), ("a\x00", "input.control")],
)
async def test_a_notice_text_is_checked(fake: FakeStore, text: str, message_id: str) -> None:
    """PostgreSQL cannot store NUL: refused by the service with a reason, as an update's text is."""
    with pytest.raises(InvalidInput) as refused:
        await broadcast(fake, draft(text=text))
    assert refused.value.message_id == message_id
    assert fake.tables.notices == {}


async def test_a_caption_may_be_empty_but_holds_no_nul(fake: FakeStore) -> None:
    document = NoticeDraft("d1", "", EVERYONE, NOW, "document", "FILE")
    assert (await notices.broadcast(fake.factory, Actor(ADMIN), document, NOW, render)).new
    with pytest.raises(InvalidInput, match=r"^input\.control$"):
        await notices.broadcast(
            fake.factory, Actor(ADMIN), NoticeDraft("d2", "a\x00b", EVERYONE, NOW, "photo", "F"), NOW, render
        )
    assert list(fake.tables.notice_keys) == ["d1"]


@pytest.mark.parametrize(("who", "in_group"), [(CONTACT, False), (REVOKED, False), (ADMIN, True)])
async def test_only_an_admin_in_a_private_chat_broadcasts_or_halts(
    fake: FakeStore, who: int, in_group: bool
) -> None:
    made = await broadcast(fake, draft(send_at=LATER))
    actor = Actor(who, in_group=in_group)
    with pytest.raises(NotAllowed):
        await notices.broadcast(fake.factory, actor, draft(key="n2"), NOW, render)
    with pytest.raises(NotAllowed):
        await notices.audience_size(fake.factory, actor, EVERYONE)
    with pytest.raises(NotAllowed):
        await notices.halt(fake.factory, actor, made.notice.id, NOW)
    with pytest.raises(NotAllowed):
        await notices.withdraw(fake.factory, actor, made.notice.id, NOW)
    with pytest.raises(NotAllowed):
        await notices.reports(fake.factory, actor)
    assert list(fake.tables.notices) == [made.notice.id]


async def test_a_scheduled_notice_goes_to_its_audience_as_it_is_at_send_time(fake: FakeStore) -> None:
    made = await broadcast(fake, draft(Audience(AudienceKind.DELEGATIONS, ("FR",)), send_at=LATER))
    assert fake.rows() == []
    assert made.notice.recipients == 1  # as of now: only the contact of FR
    [scheduled] = await notices.reports(fake.factory, Actor(ADMIN))
    assert scheduled.phase(NOW) == "scheduled"
    fake.add_member(108, Role.OBSERVER, "FR")
    assert await notices.dispatch_due(fake.factory, NOW, render) == 0
    assert await notices.dispatch_due(fake.factory, LATER, render) == 2
    assert await notices.dispatch_due(fake.factory, LATER, render) == 0  # once
    assert recipients(fake, made.notice.job) == {CONTACT, 108}
    assert fake.tables.notices[made.notice.id].recipients == 2


async def test_a_scheduled_notice_is_cancelled_and_never_queued(fake: FakeStore) -> None:
    made = await broadcast(fake, draft(send_at=LATER))
    report = await notices.halt(fake.factory, Actor(ADMIN), made.notice.id, NOW)
    assert report.phase(NOW) == "cancelled"
    assert report.recipients == 4
    assert fake.tables.audit[-1].action == "notice.cancelled"
    assert fake.tables.audit[-1].details == {"sent_before": 0, "not_sent": 4}
    assert await notices.dispatch_due(fake.factory, LATER, render) == 0
    with pytest.raises(Conflict) as again:
        await notices.halt(fake.factory, Actor(ADMIN), made.notice.id, NOW)
    assert again.value.values == {"phase": "cancelled"}


async def test_a_sending_notice_is_stopped_and_what_was_sent_stays_sent(fake: FakeStore) -> None:
    made = await broadcast(fake)
    first, *_ = fake.rows(made.notice.job)
    first.status = OutboxStatus.SENT
    assert (await notices.report(fake.factory, Actor(ADMIN), made.notice.id)).phase(NOW) == "sending"
    report = await notices.halt(fake.factory, Actor(ADMIN), made.notice.id, NOW)
    assert (report.phase(NOW), report.sent, report.stopped, report.queued) == ("stopped", 1, 3, 0)
    assert {r.reason for r in fake.rows(made.notice.job) if r.status is OutboxStatus.SKIPPED} == {STOPPED}
    assert fake.tables.audit[-1].details == {"sent_before": 1, "not_sent": 3}


async def test_a_notice_that_is_done_cannot_be_halted(fake: FakeStore) -> None:
    made = await broadcast(fake)
    fake.deliver(NOW)
    with pytest.raises(Conflict, match=r"^broadcast\.not_running$") as refused:
        await notices.halt(fake.factory, Actor(ADMIN), made.notice.id, NOW)
    assert refused.value.values == {"phase": "done"}
    with pytest.raises(NotFound):
        await notices.halt(fake.factory, Actor(ADMIN), 999, NOW)
    with pytest.raises(NotFound):
        await notices.report(fake.factory, Actor(ADMIN), 999)


async def test_withdrawing_holds_the_rest_and_deletes_the_copies_telegram_still_allows(
    fake: FakeStore,
) -> None:
    made = await broadcast(fake)
    old, recent, *_ = fake.rows(made.notice.job)
    old.status, old.sent_at, old.message_ids = OutboxStatus.SENT, NOW - dt.timedelta(hours=47), (1,)
    recent.status, recent.sent_at, recent.message_ids = OutboxStatus.SENT, NOW, (2,)
    done = await notices.withdraw(fake.factory, Actor(ADMIN), made.notice.id, NOW)
    assert (done.removed, done.too_old, done.cancelled) == (1, 1, 2)
    rows = fake.rows(made.notice.job)
    assert [r.message.targets for r in rows if r.message.op is Op.DELETE] == [(2,)]
    assert {r.reason for r in rows if r.status is OutboxStatus.WITHHELD} == {Hold.WITHDRAWN.value}
    assert fake.tables.notices[made.notice.id].status is NoticeStatus.WITHDRAWN
    assert fake.tables.audit[-1].details == {"removed": 1, "too_old": 1, "cancelled": 2}
    with pytest.raises(Conflict):
        await notices.withdraw(fake.factory, Actor(ADMIN), made.notice.id, NOW)
    with pytest.raises(NotFound):
        await notices.withdraw(fake.factory, Actor(ADMIN), 999, NOW)


async def test_reports_list_the_latest_notices_first(fake: FakeStore) -> None:
    ids = [(await broadcast(fake, draft(key=f"n{i}"))).notice.id for i in range(7)]
    latest = await notices.reports(fake.factory, Actor(ADMIN))
    assert [r.notice.id for r in latest] == ids[::-1][:5]
    assert all(r.queued == 4 for r in latest)
