"""Posting updates, editing and withdrawing them, and following initiatives, countries and regions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.domain.access import may_post, may_read, may_see_history, member_may_read
from bot.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.domain.model import Initiative, Member, Update, Viewer
from bot.domain.outbox import Correction, Outgoing, correct, retracts
from bot.domain.posting import EDIT_WINDOW_HOURS, Draft, Follow, FollowKind, check_text, editable_until
from bot.domain.reveals import Hold
from bot.domain.vocab import Role, Tlp
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.actors import Actor, require_member
from bot.services.groups import require_served

Notify = Callable[[Member, Update, Initiative], Outgoing]


@dataclass(frozen=True, slots=True)
class Posted:
    """The update, and whether this call posted it (False: the same draft was already posted)."""

    update: Update
    new: bool
    notified: int


@dataclass(frozen=True, slots=True)
class UpdateView:
    """One update as a reader sees it, with what they may do with it."""

    update: Update
    initiative: Initiative
    history: Sequence[tuple[dt.datetime, str]]
    can_change: bool


async def require_poster(uow: UnitOfWork, actor: Actor) -> Member:
    """Contacts and admins post; an observer hears why not."""
    if actor.in_group:
        raise NotAllowed("error.private_only")
    member = await require_member(uow, actor)
    if not may_post(member.role):
        raise NotAllowed("post.observers_cannot")
    return member


async def check_poster(uow_factory: UnitOfWorkFactory, actor: Actor) -> Member:
    """Check before the flow starts."""
    async with uow_factory(read_only=True) as uow:
        return await require_poster(uow, actor)


async def post_update(
    uow_factory: UnitOfWorkFactory, actor: Actor, draft: Draft, now: dt.datetime, notify: Notify
) -> Posted:
    """Store the update (once per draft); queue it, in the same transaction, to followers who may read it."""
    draft = replace(draft, text=check_text(draft.text))
    async with uow_factory() as uow:
        author = await require_poster(uow, actor)
        initiative = await uow.initiatives.by_id(draft.initiative_id)
        if initiative is None:
            raise NotFound("initiative.not_found", ref=str(draft.initiative_id))
        await _check_readers(uow, draft.tlp, draft.red_delegations)
        earlier = await uow.updates.by_key(draft.key)
        if earlier is not None:
            return Posted(earlier, new=False, notified=0)
        update = await uow.updates.add(draft, author.id, author.delegation.code, now)
        if update is None:
            raise Conflict("post.already_posted")
        await uow.audit.append(
            at=now,
            actor_id=author.id,
            action="update.posted",
            subject=f"update {update.id}",
            details={"initiative": initiative.ref, "tlp": update.tlp.value},
        )
        readers = await _followers(uow, initiative, update, author)
        await uow.outbox.enqueue([notify(member, update, initiative) for member in readers], now)
        await uow.commit()
    return Posted(update, new=True, notified=len(readers))


async def _check_readers(uow: UnitOfWork, tlp: Tlp, readers: frozenset[str]) -> None:
    if tlp is not Tlp.RED and readers:
        raise InvalidInput("error.stale")
    known = {d.code for d in await uow.catalog.delegations()}
    if not readers <= known:
        raise InvalidInput("error.stale")


async def _followers(
    uow: UnitOfWork, initiative: Initiative, update: Update, author: Member | None
) -> list[Member]:
    regions = {
        r.key
        for r in await uow.catalog.regions()
        if r.key in initiative.regions or set(r.countries) & set(initiative.countries)
    }
    ids = await uow.follows.followers(initiative.id, initiative.countries, sorted(regions))
    members = await uow.members.by_ids(ids)
    author_id = author.id if author is not None else None
    return [
        m for m in members if m.active and m.reachable and m.id != author_id and member_may_read(m, update)
    ]


async def posted(uow_factory: UnitOfWorkFactory, key: str) -> bool:
    """Whether the draft with this key was posted."""
    async with uow_factory(read_only=True) as uow:
        return await uow.updates.by_key(key[:64]) is not None


async def update_view(
    uow_factory: UnitOfWorkFactory, viewer: Viewer, update_id: int, now: dt.datetime
) -> UpdateView:
    """An update the viewer may read (otherwise it does not exist for them)."""
    async with uow_factory(read_only=True) as uow:
        await require_served(uow, viewer)
        update = await uow.updates.by_id(update_id)
        if update is None or update.withdrawn_at is not None or not may_read(viewer, update):
            raise NotFound("post.not_found")
        initiative = await uow.initiatives.by_id(update.initiative_id)
        reader = None if viewer.in_group else viewer.member
        history = await uow.updates.history(update_id) if may_see_history(reader, update) else []
    assert initiative is not None
    changer = None if viewer.in_group else viewer.member  # never offered in a group
    return UpdateView(update, initiative, history, _may_change(changer, update, now))


def _may_change(member: Member | None, update: Update, now: dt.datetime) -> bool:
    if member is None or not member.active or now >= editable_until(update.created_at):
        return False
    return member.id == update.author_id or member.role is Role.ADMIN


async def _changeable(
    uow: UnitOfWork, actor: Actor, update_id: int, now: dt.datetime
) -> tuple[Member, Update]:
    if actor.in_group:  # editing and withdrawing, like posting, happen in a private chat
        raise NotAllowed("error.private_only")
    member = await require_member(uow, actor)
    update = await uow.updates.by_id(update_id)
    if update is None or not member_may_read(member, update):
        raise NotFound("post.not_found")
    if not _may_change(member, update, now):
        raise NotAllowed("post.not_yours_or_too_late", hours=EDIT_WINDOW_HOURS)
    return member, update


async def edit_update(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    update_id: int,
    text: str,
    now: dt.datetime,
    notify: Notify,
) -> tuple[Update, Correction]:
    """New text within 48 hours, by its author or an admin; the old text stays in the history (for the
    author's delegation and admins). The alerts already delivered are edited to the new text."""
    checked = check_text(text)
    async with uow_factory() as uow:
        member, _ = await _changeable(uow, actor, update_id, now)
        edited = await uow.updates.edit(update_id, checked, member.id, now)
        await uow.audit.append(
            at=now, actor_id=member.id, action="update.edited", subject=f"update {update_id}"
        )
        done = await _correct_alerts(uow, edited, now, notify)
        await uow.commit()
    return edited, done


async def relabel_update(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    update_id: int,
    tlp: Tlp,
    readers: frozenset[str],
    now: dt.datetime,
    notify: Notify,
) -> tuple[Update, Correction]:
    """Another label (RED: with its readers) within 48 hours, by its author or an admin. Delivered alerts
    follow: deleted where the label no longer lets their recipient read it, sent again protected where it
    now needs protection; followers it now reaches get the alert."""
    async with uow_factory() as uow:
        member, update = await _changeable(uow, actor, update_id, now)
        await _check_readers(uow, tlp, readers)
        changed = await uow.updates.relabel(update_id, tlp, readers, now)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="update.relabelled",
            subject=f"update {update_id}",
            details={"from": update.tlp.value, "to": tlp.value, "readers": sorted(readers)},
        )
        done = await _correct_alerts(uow, changed, now, notify)
        initiative = await uow.initiatives.by_id(changed.initiative_id)
        assert initiative is not None
        author = await uow.members.by_id(changed.author_id)
        newly = await _followers(uow, initiative, changed, author)
        await uow.outbox.enqueue([notify(m, changed, initiative) for m in newly], now)
        await uow.commit()
    return changed, done


async def withdraw_update(
    uow_factory: UnitOfWorkFactory, actor: Actor, update_id: int, now: dt.datetime
) -> Correction:
    """Hide it from every reader within 48 hours, by its author or an admin; audited. Alerts not yet
    sent are cancelled and the delivered ones deleted where Telegram still allows it."""
    async with uow_factory() as uow:
        member, update = await _changeable(uow, actor, update_id, now)
        await uow.updates.withdraw(update_id, now)
        done = await _correct_alerts(uow, replace(update, withdrawn_at=now), now, None)
        await uow.audit.append(
            at=now,
            actor_id=member.id,
            action="update.withdrawn",
            subject=f"update {update_id}",
            details={
                "author": update.author_id,
                "tlp": update.tlp.value,
                "removed": done.removed,
                "too_old": done.too_old,
                "cancelled": done.cancelled,
            },
        )
        await uow.commit()
    return done


def alert_job(update_id: int) -> str:
    """The outbox job of an update's alerts and their corrections."""
    return f"update:{update_id}"


async def _correct_alerts(
    uow: UnitOfWork, update: Update, now: dt.datetime, notify: Notify | None
) -> Correction:
    """Bring every alert of the update in line with it as it is now: queued ones that may no longer go
    are held (and those that may are made again when their turn comes); delivered ones are edited,
    replaced or deleted, each for what its recipient may read now."""
    job = alert_job(update.id)
    cancelled = 0
    if update.withdrawn_at is not None:
        cancelled = await uow.outbox.withhold_job(job, Hold.WITHDRAWN, now)
    copies = await uow.outbox.delivered(job)
    initiative = await uow.initiatives.by_id(update.initiative_id)
    readers = {m.id: m for m in await uow.members.by_ids({c.member_id for c in copies if c.member_id})}
    total = Correction(cancelled=cancelled)
    rows, gone = [], []
    for copy in copies:
        member = readers.get(copy.member_id or 0)
        fresh = None
        if member is not None and notify is not None and initiative and member_may_read(member, update):
            fresh = notify(member, update, initiative)
        planned, done = correct(copy, fresh, key=f"{job}:{copy.row_id}:{now.isoformat()}", job=job, now=now)
        rows += planned
        gone += [copy.row_id] if retracts(planned) else []
        total += done
    await uow.outbox.enqueue(rows, now)
    await uow.outbox.retract(gone, now)
    return total


async def alert_for(
    uow_factory: UnitOfWorkFactory, update_id: int, member_id: int
) -> tuple[Member, Update, Initiative] | None:
    """What an alert shows a member now, to make it again: None if they may no longer read it."""
    async with uow_factory(read_only=True) as uow:
        update = await uow.updates.by_id(update_id)
        member = await uow.members.by_id(member_id)
        if update is None or member is None or not member_may_read(member, update):
            return None
        initiative = await uow.initiatives.by_id(update.initiative_id)
    return (member, update, initiative) if initiative is not None else None


async def set_follow(
    uow_factory: UnitOfWorkFactory, actor: Actor, kind: FollowKind, target: str, on: bool, now: dt.datetime
) -> bool:
    """Follow or stop following something that exists; True if that changed anything."""
    async with uow_factory() as uow:
        if actor.in_group:
            raise NotAllowed("error.private_only")
        member = await require_member(uow, actor)
        await _label(uow, kind, target)
        changed = (
            await uow.follows.follow(member.id, kind, target, now)
            if on
            else await uow.follows.unfollow(member.id, kind, target)
        )
        await uow.commit()
    return changed


async def following(uow_factory: UnitOfWorkFactory, actor: Actor) -> list[Follow]:
    """What the member follows, with names (looked up together: one query a kind at most)."""
    async with uow_factory(read_only=True) as uow:
        member = await require_member(uow, actor)
        follows = await uow.follows.follows(member.id)
        kinds = {kind for kind, _ in follows}
        ids = [int(t) for k, t in follows if k is FollowKind.INITIATIVE and t.isascii() and t.isdigit()]
        names: dict[tuple[FollowKind, str], str] = {}
        if ids:
            for line in await uow.initiatives.headlines(ids):
                names[FollowKind.INITIATIVE, str(line.id)] = f"{line.ref} {line.title}"
        if FollowKind.COUNTRY in kinds:
            names |= {(FollowKind.COUNTRY, c.code): c.name for c in await uow.catalog.countries()}
        if FollowKind.REGION in kinds:
            names |= {(FollowKind.REGION, r.key): r.name for r in await uow.catalog.regions()}
    # Something no longer known keeps its raw name, so that it can still be removed.
    return [Follow(kind, target, names.get((kind, target), target)) for kind, target in follows]


async def _label(uow: UnitOfWork, kind: FollowKind, target: str) -> str:
    """The name of what is to be followed; NotFound if there is no such initiative, country or region."""
    if kind is FollowKind.INITIATIVE:
        initiative = (
            await uow.initiatives.by_id(int(target)) if target.isascii() and target.isdigit() else None
        )
        if initiative is not None:
            return f"{initiative.ref} {initiative.title}"
    elif kind is FollowKind.COUNTRY:
        country = await uow.catalog.country(target) if len(target) == 2 else None
        if country is not None:
            return country.name
    else:
        region = next((r for r in await uow.catalog.regions() if r.key == target), None)
        if region is not None:
            return region.name
    raise NotFound()
