"""The send-time read check: what a queued message reveals, and whether it is held, made again or sent,
judged on its own (`bot.domain.reveals`) and in a batch against the in-memory store
(`bot.services.read_check`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.domain.model import Delegation, Member, Update
from bot.domain.notices import Audience, AudienceKind, Notice, NoticeStatus
from bot.domain.outbox import Op, OutboxKind, Queued
from bot.domain.reveals import (
    REFRESH,
    SEND,
    DigestBasis,
    Hold,
    Readers,
    Reveals,
    Verdict,
    judge,
    reader_key,
    shown,
)
from bot.domain.vocab import DelegationKind, MemberStatus, Role, Tlp, UpdateKind
from bot.services import read_check
from tests.unit.fakes import MOROCCO, FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
FR = Delegation("FR", "France", DelegationKind.MEMBER_STATE)
DE = Delegation("DE", "Germany", DelegationKind.MEMBER_STATE)
FRONTEX = Delegation("FRONTEX", "Frontex", DelegationKind.OBSERVER)


def member(
    delegation: Delegation = FR, role: Role = Role.CONTACT, status: MemberStatus = MemberStatus.ACTIVE
) -> Member:
    return Member(1, 1, "x", delegation, role, status, "en", "Europe/Brussels", True)


def update(tlp: Tlp = Tlp.GREEN, update_id: int = 7, **changes: object) -> Update:
    made = Update(update_id, MOROCCO, UpdateKind.PROGRESS, "t", tlp, 9, "FR", NOW - dt.timedelta(days=1))
    return replace(made, **changes)  # type: ignore[arg-type]


def alert(of: Update) -> Reveals:
    return Reveals(updates=(shown(of),))


BASIS = DigestBasis(3, NOW - dt.timedelta(days=7), NOW, NOW - dt.timedelta(minutes=5), reader_key(member()))


# --- the verdict on one message ----------------------------------------------------------------------


def test_a_message_for_anyone_always_goes() -> None:
    assert judge(Reveals(readers=Readers.ANYONE), None, {}) == SEND
    assert judge(Reveals(readers=Readers.ANYONE), member(status=MemberStatus.REVOKED), {}) == SEND


@pytest.mark.parametrize(
    ("reveals", "recipient", "in_audience", "hold"),
    [
        (Reveals(), None, True, Hold.NOT_MEMBER),
        (Reveals(), member(status=MemberStatus.REVOKED), True, Hold.NOT_MEMBER),
        (Reveals(readers=Readers.ADMINS), member(), True, Hold.NOT_ADMIN),
        (Reveals(notice=4), member(), False, Hold.AUDIENCE),
    ],
)
def test_a_message_is_held_from_who_may_no_longer_receive_it(
    reveals: Reveals, recipient: Member | None, in_audience: bool, hold: Hold
) -> None:
    assert judge(reveals, recipient, {}, in_audience=in_audience) == Verdict(hold)
    assert not judge(reveals, recipient, {}, in_audience=in_audience).send


def test_an_admins_message_goes_to_an_admin() -> None:
    assert judge(Reveals(readers=Readers.ADMINS), member(role=Role.ADMIN), {}) == SEND


@pytest.mark.parametrize(
    ("now_as", "recipient", "verdict"),
    [
        (update(), member(), SEND),
        (None, member(), Verdict(Hold.WITHDRAWN)),  # deleted
        (update(withdrawn_at=NOW), member(), Verdict(Hold.WITHDRAWN)),
        (update(Tlp.AMBER), member(FRONTEX, Role.OBSERVER), Verdict(Hold.LABEL)),
        (update(Tlp.AMBER_STRICT), member(DE), Verdict(Hold.LABEL)),
        (update(Tlp.AMBER), member(), REFRESH),  # another label, still readable: made again
        (update(edited_at=NOW), member(), REFRESH),  # another text
    ],
)
def test_an_alert_goes_as_it_is_is_made_again_or_is_held(
    now_as: Update | None, recipient: Member, verdict: Verdict
) -> None:
    current = {now_as.id: now_as} if now_as is not None else {}
    assert judge(alert(update()), recipient, current) == verdict


def test_an_alert_the_recipient_no_longer_reads_under_the_same_label_is_held_as_unreadable() -> None:
    strict = update(Tlp.AMBER_STRICT)
    assert judge(alert(strict), member(), {strict.id: strict}) == SEND
    moved = member(DE)
    assert judge(alert(strict), moved, {strict.id: strict}) == Verdict(Hold.UNREADABLE)


def test_a_digest_is_made_again_when_anything_in_it_changed_or_its_reader_reads_differently() -> None:
    green = update()
    digest = Reveals(updates=(shown(green),), digest=BASIS)
    assert judge(digest, member(), {green.id: green}) == SEND
    assert judge(digest, member(), {green.id: green}, digest_changed=True) == REFRESH
    assert judge(digest, member(role=Role.OBSERVER), {green.id: green}) == REFRESH
    gone = replace(green, withdrawn_at=NOW)
    assert judge(digest, member(), {green.id: gone}) == REFRESH  # never held: composed without it


def test_what_a_message_reveals_is_stored_and_read_back_unchanged() -> None:
    reveals = Reveals(Readers.ADMINS, (shown(update(edited_at=NOW)), shown(update(Tlp.RED, 8))), 4, BASIS)
    assert Reveals.from_json(reveals.to_json()) == reveals
    assert Reveals.from_json(Reveals().to_json()) == Reveals()
    assert Reveals.from_json(None) == Reveals(readers=Readers.MEMBERS)


# --- the check of a claimed batch against the store --------------------------------------------------


@pytest.fixture
def fake() -> FakeStore:
    store = seeded()
    store.add_member(101, Role.ADMIN, "GSC")
    store.add_member(102, Role.CONTACT, "FR")
    store.add_member(103, Role.OBSERVER, "FRONTEX")
    store.add_member(104, Role.CONTACT, "DE", status=MemberStatus.REVOKED)
    return store


def put(fake: FakeStore, *updates: Update, changed_at: dt.datetime = NOW - dt.timedelta(days=1)) -> None:
    for one in updates:
        fake.tables.updates[one.id] = one
        fake.tables.changed_at[one.id] = changed_at


def row(fake: FakeStore, to: int, reveals: Reveals, op: Op = Op.SEND, parts_sent: int = 0) -> Queued:
    recipient = fake.member(to)
    return Queued(
        id=fake.tables.new_id(),
        chat_id=to,
        kind=OutboxKind.FOLLOW,
        parts=("text",),
        parts_sent=parts_sent,
        attempts=0,
        member_id=recipient.id,
        reveals=reveals,
        op=op,
    )


async def verdicts(fake: FakeStore, rows: list[Queued]) -> list[Verdict]:
    async with fake.factory() as uow:
        return await read_check.verdicts(uow, rows)


async def test_a_batch_gets_one_verdict_per_row_in_order(fake: FakeStore) -> None:
    green, amber, strict, edited = (
        update(),
        update(Tlp.AMBER, 8),
        update(Tlp.AMBER_STRICT, 9),
        update(update_id=10),
    )
    shown_before = alert(edited)
    put(fake, green, replace(amber, tlp=Tlp.AMBER_STRICT), strict, replace(edited, edited_at=NOW))
    rows = [
        row(fake, 102, alert(green)),  # unchanged
        row(fake, 103, alert(green)),  # an observer reads GREEN
        row(fake, 102, alert(amber)),  # now AMBER+STRICT of FR: the FR contact still reads it, newly
        row(fake, 101, alert(strict)),
        row(fake, 104, alert(green)),  # revoked
        row(fake, 103, alert(update(update_id=99))),  # no such update
        row(fake, 102, shown_before),  # edited since
        row(fake, 102, Reveals(readers=Readers.ADMINS)),
        row(fake, 104, Reveals(readers=Readers.ANYONE)),
    ]
    assert await verdicts(fake, rows) == [
        SEND,
        SEND,
        REFRESH,
        SEND,
        Verdict(Hold.NOT_MEMBER),
        Verdict(Hold.WITHDRAWN),
        REFRESH,
        Verdict(Hold.NOT_ADMIN),
        SEND,
    ]


async def test_only_a_message_not_yet_begun_is_made_again_the_rest_is_held(fake: FakeStore) -> None:
    green = update()
    put(fake, replace(green, edited_at=NOW))
    rows = [
        row(fake, 102, alert(green)),
        row(fake, 102, alert(green), parts_sent=1),  # its first part went out before the edit
        row(fake, 102, alert(green), op=Op.EDIT),  # a correction is not made again
    ]
    assert await verdicts(fake, rows) == [REFRESH, Verdict(Hold.CHANGED), Verdict(Hold.CHANGED)]


async def test_a_notice_goes_only_to_who_is_still_in_its_audience(fake: FakeStore) -> None:
    notice = Notice(
        id=fake.tables.new_id(),
        author_id=fake.member(101).id,
        delegation_code="GSC",
        text="n",
        audience=Audience(AudienceKind.DELEGATIONS, ("FR",)),
        send_at=NOW,
        status=NoticeStatus.ACTIVE,
        recipients=2,
        created_at=NOW,
    )
    fake.tables.notices[notice.id] = notice
    contact, observer = row(fake, 102, Reveals(notice=notice.id)), row(fake, 103, Reveals(notice=notice.id))
    assert await verdicts(fake, [contact, observer]) == [SEND, Verdict(Hold.AUDIENCE)]
    fake.tables.notices[notice.id] = replace(notice, status=NoticeStatus.WITHDRAWN)
    assert await verdict_of(fake, contact) == Verdict(Hold.AUDIENCE)


async def verdict_of(fake: FakeStore, queued: Queued) -> Verdict:
    async with fake.factory() as uow:
        return await read_check.verdict_on(uow, queued)


async def test_a_digest_is_composed_again_when_an_update_of_its_period_changed_after_it(
    fake: FakeStore,
) -> None:
    in_period = update(created_at=BASIS.start + dt.timedelta(days=1))
    put(fake, in_period, changed_at=BASIS.composed_at - dt.timedelta(minutes=1))
    digest = row(fake, 102, Reveals(updates=(shown(in_period),), digest=BASIS))
    assert await verdict_of(fake, digest) == SEND
    fake.tables.changed_at[in_period.id] = BASIS.composed_at + dt.timedelta(minutes=1)
    assert await verdict_of(fake, digest) == REFRESH
    before = update(update_id=8, created_at=BASIS.start - dt.timedelta(days=1))
    put(fake, before, changed_at=NOW)  # changed, but outside the period
    fake.tables.changed_at[in_period.id] = BASIS.composed_at
    assert await verdict_of(fake, digest) == SEND
