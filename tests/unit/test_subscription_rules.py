"""The subscription service's rules on the in-memory store: who subscribes, to what, how many, when the
next digest is due, and that a member changes only their own subscriptions."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.digests import MAX_SUBSCRIPTIONS, Frequency, Scope, Subscription
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.vocab import InitiativeType, MemberStatus, Role
from bot.services import digests
from bot.services.actors import Actor
from tests.unit.fakes import MOROCCO, FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)  # a Friday
EIGHT = dt.time(8)
CONTACT, OTHER, REVOKED, GUEST, TOKYO = 102, 104, 105, 106, 107


@pytest.fixture
def fake() -> FakeStore:
    store = seeded()
    store.add_member(CONTACT, Role.CONTACT, "FR")
    store.add_member(OTHER, Role.OBSERVER, "FRONTEX")
    store.add_member(REVOKED, Role.CONTACT, "DE", status=MemberStatus.REVOKED)
    store.add_member(TOKYO, Role.CONTACT, "IT", time_zone="Asia/Tokyo")
    return store


async def subscribe(
    fake: FakeStore,
    who: int = CONTACT,
    scope: Scope | None = None,
    weekday: int = 0,
    frequency: Frequency = Frequency.WEEKLY,
    subscription_id: int | None = None,
    in_group: bool = False,
) -> Subscription:
    return await digests.subscribe(
        fake.factory,
        Actor(who, in_group=in_group),
        scope or Scope(),
        frequency,
        weekday,
        EIGHT,
        False,
        NOW,
        subscription_id,
    )


async def test_a_weekly_digest_is_due_next_at_the_members_local_time(fake: FakeStore) -> None:
    monday = await subscribe(fake)
    assert monday.next_due_at == dt.datetime(2026, 11, 30, 7, tzinfo=dt.UTC)  # 08:00 in Brussels
    friday = await subscribe(fake, weekday=4)  # today's 08:00 has passed: next week's
    assert friday.next_due_at == dt.datetime(2026, 12, 4, 7, tzinfo=dt.UTC)
    daily = await subscribe(fake, who=TOKYO, frequency=Frequency.DAILY)
    assert daily.next_due_at == dt.datetime(2026, 11, 27, 23, tzinfo=dt.UTC)  # 08:00 tomorrow in Tokyo
    assert fake.actions() == ["subscription.saved"] * 3
    assert fake.tables.audit[0].details == {"frequency": "weekly", "weekday": 0, "at": "08:00:00"}


@pytest.mark.parametrize("weekday", [-1, 7])
async def test_a_weekday_is_monday_to_sunday(fake: FakeStore, weekday: int) -> None:
    with pytest.raises(InvalidInput, match=r"^error\.stale$"):
        await subscribe(fake, weekday=weekday)
    assert fake.tables.subscriptions == {}


@pytest.mark.parametrize(
    "scope",
    [
        Scope(everything=False, regions=("atlantis",)),
        Scope(everything=False, countries=("MA", "XX")),
        Scope(everything=False, initiatives=(999,)),
    ],
)
async def test_a_scope_names_something_that_exists(fake: FakeStore, scope: Scope) -> None:
    with pytest.raises(InvalidInput, match=r"^subscribe\.bad_scope$"):
        await subscribe(fake, scope=scope)
    assert fake.tables.subscriptions == {}


async def test_a_scope_chooses_something(fake: FakeStore) -> None:
    """The flow refuses an empty choice before asking more (`check_choice`); the service holds to it."""
    with pytest.raises(InvalidInput, match=r"^subscribe\.choose_something$"):
        await subscribe(fake, scope=Scope(everything=False))
    assert fake.tables.subscriptions == {}


async def test_a_scope_mixes_regions_countries_types_and_initiatives(fake: FakeStore) -> None:
    scope = Scope(
        everything=False,
        regions=("sahel",),
        countries=("MA", "TN"),
        types=(InitiativeType.DIALOGUE,),
        initiatives=(MOROCCO,),
    )
    assert (await subscribe(fake, scope=scope)).scope == scope
    only_a_type = Scope(everything=False, types=(InitiativeType.PARTNERSHIP,))
    assert (await subscribe(fake, scope=only_a_type)).scope == only_a_type


async def test_a_member_has_at_most_twenty_subscriptions_and_may_still_edit_them(fake: FakeStore) -> None:
    made = [await subscribe(fake) for _ in range(MAX_SUBSCRIPTIONS)]
    with pytest.raises(InvalidInput, match=r"^subscribe\.too_many$") as refused:
        await subscribe(fake)
    assert refused.value.values == {"limit": 20}
    edited = await subscribe(fake, weekday=3, subscription_id=made[0].id)
    assert (edited.id, edited.weekday) == (made[0].id, 3)
    assert len(fake.tables.subscriptions) == 20
    assert await subscribe(fake, who=OTHER)  # the limit is each member's


async def test_the_limit_is_said_before_the_flow_asks_anything(fake: FakeStore) -> None:
    """`may_subscribe` is what /subscribe asks first: the same rule as the service's."""
    for _ in range(MAX_SUBSCRIPTIONS - 1):
        await subscribe(fake)
    await digests.may_subscribe(fake.factory, Actor(CONTACT))
    await subscribe(fake)
    with pytest.raises(InvalidInput, match=r"^subscribe\.too_many$"):
        await digests.may_subscribe(fake.factory, Actor(CONTACT))
    await digests.may_subscribe(fake.factory, Actor(OTHER))
    with pytest.raises(InvalidInput, match=r"^error\.private_only$"):
        await digests.may_subscribe(fake.factory, Actor(OTHER, in_group=True))
    with pytest.raises(NotAllowed, match=r"^error\.members_only$"):
        await digests.may_subscribe(fake.factory, Actor(GUEST))


@pytest.mark.parametrize("who", [REVOKED, GUEST])
async def test_guests_and_revoked_members_do_not_subscribe(fake: FakeStore, who: int) -> None:
    attempts = [
        subscribe(fake, who=who),
        digests.my_subscriptions(fake.factory, Actor(who)),
        digests.set_paused(fake.factory, Actor(who), 1, True, NOW),
        digests.unsubscribe(fake.factory, Actor(who), None, NOW),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed, match=r"^error\.members_only$"):
            await attempt
    assert fake.tables.subscriptions == {}


async def test_subscriptions_are_managed_in_a_private_chat_only(fake: FakeStore) -> None:
    mine = await subscribe(fake)
    group = Actor(CONTACT, in_group=True)
    with pytest.raises(InvalidInput, match=r"^error\.private_only$"):
        await subscribe(fake, in_group=True)
    with pytest.raises(InvalidInput, match=r"^error\.private_only$"):
        await digests.set_paused(fake.factory, group, mine.id, True, NOW)
    with pytest.raises(InvalidInput, match=r"^error\.private_only$"):
        await digests.unsubscribe(fake.factory, group, None, NOW)
    assert fake.tables.subscriptions == {mine.id: mine}


async def test_another_members_subscription_is_not_found(fake: FakeStore) -> None:
    theirs = await subscribe(fake, who=OTHER)
    with pytest.raises(NotFound):
        await subscribe(fake, weekday=3, subscription_id=theirs.id)
    with pytest.raises(NotFound):
        await digests.set_paused(fake.factory, Actor(CONTACT), theirs.id, True, NOW)
    with pytest.raises(NotFound):
        await digests.unsubscribe(fake.factory, Actor(CONTACT), theirs.id, NOW)
    assert fake.tables.subscriptions == {theirs.id: theirs}
    assert await digests.my_subscriptions(fake.factory, Actor(CONTACT)) == []


async def test_pausing_and_resuming_move_the_next_due_time(fake: FakeStore) -> None:
    mine = await subscribe(fake)
    monday_after = mine.next_due_at + dt.timedelta(hours=1)
    paused = await digests.set_paused(fake.factory, Actor(CONTACT), mine.id, True, NOW)
    assert (paused.paused, paused.next_due_at) == (True, mine.next_due_at)
    resumed = await digests.set_paused(fake.factory, Actor(CONTACT), mine.id, False, monday_after)
    assert (resumed.paused, resumed.next_due_at) == (False, mine.next_due_at + dt.timedelta(days=7))


async def test_unsubscribing_removes_one_or_all_of_ones_own(fake: FakeStore) -> None:
    first, second, third = [await subscribe(fake) for _ in range(3)]
    theirs = await subscribe(fake, who=OTHER)
    assert await digests.unsubscribe(fake.factory, Actor(CONTACT), second.id, NOW) == 1
    assert await digests.unsubscribe(fake.factory, Actor(CONTACT), None, NOW) == 2
    assert list(fake.tables.subscriptions) == [theirs.id]
    assert fake.tables.audit[-1].details == {"subscriptions": [first.id, third.id]}
    assert await digests.unsubscribe(fake.factory, Actor(CONTACT), None, NOW) == 0
