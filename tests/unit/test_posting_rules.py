"""The posting service's rules on the in-memory store: who may post, edit, relabel and withdraw, within
what time, to which readers, and which followers are told."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.model import Initiative, Member, Update, Viewer
from bot.domain.outbox import Op, OutboxKind, OutboxStatus, Outgoing
from bot.domain.posting import EDIT_WINDOW, Draft, FollowKind, protected
from bot.domain.reveals import Hold, Reveals, shown
from bot.domain.vocab import MemberStatus, Role, Tlp, UpdateKind
from bot.services import posting
from bot.services.actors import Actor
from tests.unit.fakes import MOROCCO, FakeStore, seeded

NOW = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)
ADMIN, CONTACT, OBSERVER, OTHER, REVOKED, GUEST = 101, 102, 103, 104, 105, 106


def notify(member: Member, update: Update, initiative: Initiative) -> Outgoing:
    """A follower's alert, keyed as the real one is: one per update and member."""
    return Outgoing(
        chat_id=member.telegram_user_id,
        kind=OutboxKind.FOLLOW,
        dedupe_key=f"follow:{update.id}:{member.id}",
        parts=(f"{update.tlp.value} {initiative.ref}: {update.text}",),
        job=posting.alert_job(update.id),
        member_id=member.id,
        protect=protected(update.tlp),
        reveals=Reveals(updates=(shown(update),)),
    )


@pytest.fixture
def fake() -> FakeStore:
    """Admin (GSC), contact (FR), observer (FRONTEX), another contact (DE), a revoked contact (IT)."""
    store = seeded()
    store.add_member(ADMIN, Role.ADMIN, "GSC")
    store.add_member(CONTACT, Role.CONTACT, "FR")
    store.add_member(OBSERVER, Role.OBSERVER, "FRONTEX")
    store.add_member(OTHER, Role.CONTACT, "DE")
    store.add_member(REVOKED, Role.CONTACT, "IT", status=MemberStatus.REVOKED)
    return store


def draft(text: str = "Talks resumed", tlp: Tlp = Tlp.GREEN, key: str = "k1", **extra: object) -> Draft:
    return Draft(key, MOROCCO, UpdateKind.PROGRESS, text, tlp, **extra)  # type: ignore[arg-type]


async def post(fake: FakeStore, who: int = CONTACT, **values: object) -> posting.Posted:
    return await posting.post_update(fake.factory, Actor(who), draft(**values), NOW, notify)  # type: ignore[arg-type]


def follow(fake: FakeStore, who: int, kind: FollowKind = FollowKind.INITIATIVE, target: str = "") -> None:
    fake.tables.follows.append((fake.member(who).id, kind, target or str(MOROCCO)))


def alerted(fake: FakeStore, update_id: int, op: Op = Op.SEND) -> set[int]:
    """Who has an alert of the update queued (or, for `op`, a correction)."""
    rows = fake.rows(posting.alert_job(update_id))
    return {r.message.chat_id for r in rows if r.message.op is op and r.status is OutboxStatus.QUEUED}


@pytest.mark.parametrize(
    ("who", "in_group", "message_id"),
    [
        (OBSERVER, False, "post.observers_cannot"),
        (REVOKED, False, "error.members_only"),
        (GUEST, False, "error.members_only"),
        (CONTACT, True, "error.private_only"),
    ],
)
async def test_only_contacts_and_admins_post_and_only_in_a_private_chat(
    fake: FakeStore, who: int, in_group: bool, message_id: str
) -> None:
    with pytest.raises(NotAllowed) as refused:
        await posting.check_poster(fake.factory, Actor(who, in_group=in_group))
    assert refused.value.message_id == message_id
    with pytest.raises(NotAllowed):
        await posting.post_update(fake.factory, Actor(who, in_group=in_group), draft(), NOW, notify)
    assert fake.tables.updates == {}
    assert fake.commits == 0


@pytest.mark.parametrize("who", [CONTACT, ADMIN])
async def test_a_post_is_stored_with_its_author_and_audited(fake: FakeStore, who: int) -> None:
    posted = await post(fake, who)
    author = fake.member(who)
    assert posted.new
    assert fake.tables.updates == {posted.update.id: posted.update}
    assert (posted.update.author_id, posted.update.delegation_code) == (author.id, author.delegation.code)
    assert posted.update.created_at == NOW
    assert fake.actions() == ["update.posted"]
    assert fake.tables.audit[0].details == {"initiative": "MP-MA-2013", "tlp": Tlp.GREEN.value}


async def test_the_same_draft_posts_once_and_notifies_once(fake: FakeStore) -> None:
    follow(fake, OTHER)
    first = await post(fake)
    again = await post(fake)
    assert (first.new, first.notified) == (True, 1)
    assert (again.new, again.notified, again.update) == (False, 0, first.update)
    assert len(fake.tables.updates) == 1
    assert len(fake.rows()) == 1
    assert await posting.posted(fake.factory, "k1")
    assert not await posting.posted(fake.factory, "k2")


@pytest.mark.parametrize(
    ("text", "message_id"),
    [
        ("", "post.text_empty"),
        ("\n \n", "post.text_empty"),
        ("x" * 3501, "post.text_long"),
        ("a\x00b", "input.control"),
    ],
)
async def test_a_text_that_is_empty_too_long_or_has_a_nul_is_refused(
    fake: FakeStore, text: str, message_id: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await post(fake, text=text)
    assert refused.value.message_id == message_id
    assert fake.tables.updates == {}


async def test_text_is_kept_as_written_but_for_surrounding_blank_lines_and_spaces(fake: FakeStore) -> None:
    posted = await post(fake, text="\n  <b>x</b> &\ty\n\tz  \n\n")
    assert posted.update.text == "<b>x</b> &\ty\n\tz"
    assert (await post(fake, text="x" * 3500, key="k2")).update.text == "x" * 3500


async def test_an_unknown_initiative_is_not_found(fake: FakeStore) -> None:
    forged = Draft("k", 999, UpdateKind.PROGRESS, "text")
    with pytest.raises(NotFound):
        await posting.post_update(fake.factory, Actor(CONTACT), forged, NOW, notify)


async def test_red_readers_must_be_known_delegations_and_only_with_red(fake: FakeStore) -> None:
    with pytest.raises(InvalidInput, match=r"^error\.stale$"):
        await post(fake, tlp=Tlp.AMBER, red_delegations=frozenset({"DE"}))
    with pytest.raises(InvalidInput, match=r"^error\.stale$"):
        await post(fake, tlp=Tlp.RED, red_delegations=frozenset({"DE", "XX"}))
    assert fake.tables.updates == {}
    posted = await post(fake, tlp=Tlp.RED, red_delegations=frozenset({"DE", "FRONTEX"}))
    assert posted.update.red_delegations == {"DE", "FRONTEX"}


async def test_followers_who_may_read_it_are_told_never_the_author(fake: FakeStore) -> None:
    for who in (CONTACT, ADMIN, OBSERVER, OTHER, REVOKED):
        follow(fake, who)
    green = await post(fake)
    assert alerted(fake, green.update.id) == {ADMIN, OBSERVER, OTHER}
    amber = await post(fake, tlp=Tlp.AMBER, key="k2")
    assert alerted(fake, amber.update.id) == {ADMIN, OTHER}
    assert all(r.message.protect for r in fake.rows(posting.alert_job(amber.update.id)))
    strict = await post(fake, tlp=Tlp.AMBER_STRICT, key="k3")
    assert alerted(fake, strict.update.id) == {ADMIN}
    red = await post(fake, tlp=Tlp.RED, key="k4", red_delegations=frozenset({"FRONTEX"}))
    assert alerted(fake, red.update.id) == {ADMIN, OBSERVER}
    assert [p.notified for p in (green, amber, strict, red)] == [3, 2, 1, 2]


async def test_followers_of_a_country_or_its_region_are_told_unless_unreachable(fake: FakeStore) -> None:
    follow(fake, ADMIN, FollowKind.COUNTRY, "MA")
    follow(fake, OTHER, FollowKind.REGION, "north_africa")
    follow(fake, OBSERVER, FollowKind.REGION, "sahel")
    fake.add_member(107, Role.CONTACT, "DE", reachable=False)
    follow(fake, 107)
    posted = await post(fake)
    assert alerted(fake, posted.update.id) == {ADMIN, OTHER}


async def test_the_author_or_an_admin_edits_within_48_hours(fake: FakeStore) -> None:
    follow(fake, OTHER)
    update = (await post(fake, text="first")).update
    edited, _ = await posting.edit_update(fake.factory, Actor(CONTACT), update.id, "second", NOW, notify)
    assert (edited.text, edited.edited_at) == ("second", NOW)
    last_moment = NOW + EDIT_WINDOW - dt.timedelta(seconds=1)
    by_admin, _ = await posting.edit_update(
        fake.factory, Actor(ADMIN), update.id, "third", last_moment, notify
    )
    assert by_admin.text == "third"
    assert fake.tables.edits[update.id] == [(NOW, "first"), (last_moment, "second")]
    assert fake.actions() == ["update.posted", "update.edited", "update.edited"]
    with pytest.raises(NotAllowed) as late:
        await posting.edit_update(fake.factory, Actor(CONTACT), update.id, "x", NOW + EDIT_WINDOW, notify)
    assert late.value.message_id == "post.not_yours_or_too_late"
    assert late.value.values == {"hours": 48}
    with pytest.raises(NotAllowed):
        await posting.withdraw_update(fake.factory, Actor(ADMIN), update.id, NOW + EDIT_WINDOW)


@pytest.mark.parametrize(
    ("who", "in_group", "message_id"),
    [
        (OTHER, False, "post.not_yours_or_too_late"),  # another delegation's contact reads it, no more
        (OBSERVER, False, "post.not_yours_or_too_late"),
        (REVOKED, False, "error.members_only"),
        (CONTACT, True, "error.private_only"),  # the author, but in a group
    ],
)
async def test_nobody_else_edits_relabels_or_withdraws(
    fake: FakeStore, who: int, in_group: bool, message_id: str
) -> None:
    update = (await post(fake, text="first")).update
    actor = Actor(who, in_group=in_group)
    attempts = [
        posting.edit_update(fake.factory, actor, update.id, "x", NOW, notify),
        posting.relabel_update(fake.factory, actor, update.id, Tlp.CLEAR, frozenset(), NOW, notify),
        posting.withdraw_update(fake.factory, actor, update.id, NOW),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as refused:
            await attempt
        assert refused.value.message_id == message_id
    assert fake.tables.updates[update.id] == update
    assert fake.actions() == ["update.posted"]


async def test_an_update_the_member_may_not_read_does_not_exist_for_them(fake: FakeStore) -> None:
    update = (await post(fake, tlp=Tlp.AMBER_STRICT)).update
    with pytest.raises(NotFound):
        await posting.edit_update(fake.factory, Actor(OTHER), update.id, "x", NOW, notify)
    with pytest.raises(NotFound):
        await posting.withdraw_update(fake.factory, Actor(OTHER), 999, NOW)


async def test_the_view_offers_changes_to_the_author_and_admins_and_history_to_their_delegation(
    fake: FakeStore,
) -> None:
    update = (await post(fake, text="first")).update
    await posting.edit_update(fake.factory, Actor(CONTACT), update.id, "second", NOW, notify)

    async def view(who: int, at: dt.datetime = NOW, in_group: bool = False) -> posting.UpdateView:
        viewer = Viewer(who, fake.member(who), "en", in_group)
        return await posting.update_view(fake.factory, viewer, update.id, at)

    author, admin, other = await view(CONTACT), await view(ADMIN), await view(OTHER)
    assert (author.can_change, admin.can_change, other.can_change) == (True, True, False)
    assert author.history == admin.history == [(NOW, "first")]
    assert other.history == []
    assert not (await view(CONTACT, NOW + EDIT_WINDOW)).can_change
    with pytest.raises(NotAllowed, match=r"^group\.not_registered$"):  # only groups an admin registered
        await view(CONTACT, in_group=True)
    await posting.withdraw_update(fake.factory, Actor(CONTACT), update.id, NOW)
    with pytest.raises(NotFound):
        await view(ADMIN)


async def test_withdrawing_holds_queued_alerts_and_deletes_delivered_ones_telegram_still_allows(
    fake: FakeStore,
) -> None:
    for who in (ADMIN, OTHER, OBSERVER):
        follow(fake, who)
    update = (await post(fake)).update
    [old] = [r for r in fake.rows() if r.message.chat_id == ADMIN]
    [recent] = [r for r in fake.rows() if r.message.chat_id == OTHER]
    old.status, old.sent_at, old.message_ids = OutboxStatus.SENT, NOW - dt.timedelta(hours=47), (7,)
    recent.status, recent.sent_at, recent.message_ids = OutboxStatus.SENT, NOW, (8,)
    done = await posting.withdraw_update(fake.factory, Actor(CONTACT), update.id, NOW + dt.timedelta(hours=1))
    assert (done.removed, done.too_old, done.cancelled) == (1, 1, 1)
    job = posting.alert_job(update.id)
    held = [r for r in fake.rows(job) if r.status is OutboxStatus.WITHHELD]
    assert [(r.message.chat_id, r.reason) for r in held] == [(OBSERVER, Hold.WITHDRAWN.value)]
    [delete] = [r for r in fake.rows(job) if r.message.op is Op.DELETE]
    assert (delete.message.chat_id, delete.message.targets) == (OTHER, (8,))
    assert fake.tables.updates[update.id].withdrawn_at == NOW + dt.timedelta(hours=1)
    assert fake.tables.audit[-1].action == "update.withdrawn"
    assert fake.tables.audit[-1].details == {
        "author": fake.member(CONTACT).id,
        "tlp": Tlp.GREEN.value,
        "removed": 1,
        "too_old": 1,
        "cancelled": 1,
    }


async def test_editing_edits_the_delivered_alerts_in_place(fake: FakeStore) -> None:
    follow(fake, OTHER)
    update = (await post(fake, text="first")).update
    fake.deliver(NOW)
    _, done = await posting.edit_update(fake.factory, Actor(CONTACT), update.id, "second", NOW, notify)
    assert done.corrected == 1
    [edit] = [r for r in fake.rows() if r.message.op is Op.EDIT]
    assert edit.message.chat_id == OTHER
    assert "second" in edit.message.parts[0]


async def test_a_stricter_label_deletes_what_readers_may_no_longer_read_and_protects_the_rest(
    fake: FakeStore,
) -> None:
    for who in (ADMIN, OBSERVER, OTHER):
        follow(fake, who)
    update = (await post(fake)).update
    fake.deliver(NOW)
    changed, done = await posting.relabel_update(
        fake.factory, Actor(CONTACT), update.id, Tlp.AMBER, frozenset(), NOW, notify
    )
    assert changed.tlp is Tlp.AMBER
    assert alerted(fake, update.id, Op.DELETE) == {ADMIN, OBSERVER, OTHER}  # unprotected copies go
    assert alerted(fake, update.id) == {ADMIN, OTHER}  # and come back protected to who may read them
    assert all(
        r.message.protect for r in fake.rows() if r.message.op is Op.SEND and r.status is OutboxStatus.QUEUED
    )
    assert (done.corrected, done.removed) == (2, 1)
    assert fake.tables.audit[-1].details == {"from": Tlp.GREEN.value, "to": Tlp.AMBER.value, "readers": []}


async def test_a_copy_deleted_by_one_correction_is_left_alone_by_the_next(fake: FakeStore) -> None:
    for who in (ADMIN, OBSERVER, OTHER):
        follow(fake, who)
    update = (await post(fake)).update
    fake.deliver(NOW)
    first = {r.id for r in fake.rows()}
    await posting.relabel_update(fake.factory, Actor(CONTACT), update.id, Tlp.AMBER, frozenset(), NOW, notify)
    assert all(fake.tables.outbox[i].retracted for i in first)
    fake.deliver(NOW)  # the deletions, and the protected copies sent again to the admin and DE
    resent = {
        r.message.chat_id: r.message_ids for r in fake.rows() if r.id not in first and r.message.op is Op.SEND
    }
    before = set(fake.tables.outbox)
    _, done = await posting.relabel_update(
        fake.factory, Actor(CONTACT), update.id, Tlp.AMBER_STRICT, frozenset(), NOW, notify
    )
    new = [fake.tables.outbox[i].message for i in set(fake.tables.outbox) - before]
    assert sorted((m.op, m.chat_id, m.targets) for m in new) == [
        (Op.DELETE, OTHER, resent[OTHER]),  # DE no longer reads it: the copy sent again goes
        (Op.EDIT, ADMIN, resent[ADMIN]),  # already protected: edited in place
    ]
    assert (done.corrected, done.removed) == (1, 1)


async def test_a_looser_label_reaches_the_followers_it_now_lets_read(fake: FakeStore) -> None:
    for who in (ADMIN, OBSERVER, OTHER):
        follow(fake, who)
    update = (await post(fake, tlp=Tlp.AMBER_STRICT)).update
    assert alerted(fake, update.id) == {ADMIN}
    await posting.relabel_update(
        fake.factory, Actor(ADMIN), update.id, Tlp.RED, frozenset({"FRONTEX"}), NOW, notify
    )
    assert alerted(fake, update.id) == {ADMIN, OBSERVER}
    with pytest.raises(InvalidInput, match=r"^error\.stale$"):
        await posting.relabel_update(
            fake.factory, Actor(ADMIN), update.id, Tlp.GREEN, frozenset({"FRONTEX"}), NOW, notify
        )
    assert fake.tables.updates[update.id].tlp is Tlp.RED


async def test_an_alert_is_made_again_only_for_who_may_still_read_it(fake: FakeStore) -> None:
    update = (await post(fake, tlp=Tlp.AMBER)).update
    observer, other = fake.member(OBSERVER), fake.member(OTHER)
    assert await posting.alert_for(fake.factory, update.id, observer.id) is None
    found = await posting.alert_for(fake.factory, update.id, other.id)
    assert found is not None
    assert found[0] == other
    assert found[2].id == MOROCCO


async def test_following_what_exists_once_and_only_in_a_private_chat(fake: FakeStore) -> None:
    actor = Actor(OTHER)
    for kind, target in [
        (FollowKind.INITIATIVE, str(MOROCCO)),
        (FollowKind.COUNTRY, "MA"),
        (FollowKind.REGION, "sahel"),
    ]:
        assert await posting.set_follow(fake.factory, actor, kind, target, True, NOW)
        assert not await posting.set_follow(fake.factory, actor, kind, target, True, NOW)
    for kind, target in [
        (FollowKind.INITIATIVE, "999"),
        (FollowKind.INITIATIVE, "x"),
        (FollowKind.COUNTRY, "XX"),
        (FollowKind.REGION, "nowhere"),
    ]:
        with pytest.raises(NotFound):
            await posting.set_follow(fake.factory, actor, kind, target, True, NOW)
    with pytest.raises(NotAllowed):
        await posting.set_follow(
            fake.factory, Actor(OTHER, in_group=True), FollowKind.COUNTRY, "TN", True, NOW
        )
    labels = [f.label for f in await posting.following(fake.factory, actor)]
    assert labels == ["MP-MA-2013 Mobility Partnership with Morocco", "Morocco", "Sahel"]
    assert await posting.set_follow(fake.factory, actor, FollowKind.COUNTRY, "MA", False, NOW)
    assert not await posting.set_follow(fake.factory, actor, FollowKind.COUNTRY, "MA", False, NOW)
    with pytest.raises(NotAllowed):
        await posting.following(fake.factory, Actor(REVOKED))


async def test_a_refused_post_leaves_nothing_behind(fake: FakeStore) -> None:
    """The unit of work rolls back unless committed: a failure half-way stores nothing."""
    follow(fake, OTHER)
    before = fake.commits

    def broken(member: Member, update: Update, initiative: Initiative) -> Outgoing:
        raise Conflict()

    with pytest.raises(Conflict):
        await posting.post_update(fake.factory, Actor(CONTACT), draft(), NOW, broken)
    assert (fake.tables.updates, fake.tables.audit, fake.commits) == ({}, [], before)
