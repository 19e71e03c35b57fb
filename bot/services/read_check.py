"""The read rules on queued messages, as of now: what the sender asks before it sends.

A batch is checked when the sender claims it, with a fixed number of queries whatever its size (its
recipients, the updates it shows, each notice's audience, each digest's period); the read epoch is read
first. When a message's turn comes, the statement that marks it in flight goes through only if the epoch
has not moved since (bot.ports.OutboxRepository.begin_part): the check then still holds. If it moved,
the message is checked again on its own, right there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.domain.outbox import Op, Queued
from bot.domain.reveals import DigestBasis, Hold, Readers, Verdict, judge
from bot.ports import UnitOfWork


async def verdicts(uow: UnitOfWork, rows: Sequence[Queued]) -> list[Verdict]:
    """May each row's recipient still read all it shows? One verdict per row, in order."""
    checked = [r for r in rows if r.reveals.readers is not Readers.ANYONE]
    member_ids = {r.member_id for r in checked if r.member_id is not None}
    members = {m.id: m for m in await uow.members.by_ids(member_ids)} if member_ids else {}
    update_ids = sorted({s.update_id for r in checked for s in r.reveals.updates})
    current = await uow.updates.by_ids(update_ids) if update_ids else {}
    asked: dict[int, set[int]] = defaultdict(set)
    for r in checked:
        if r.reveals.notice is not None and r.member_id is not None:
            asked[r.reveals.notice].add(r.member_id)
    audiences = {notice: await uow.notices.within_audience(notice, ids) for notice, ids in asked.items()}
    bases = {r.reveals.digest for r in checked if r.reveals.digest is not None}
    changed: set[DigestBasis] = {
        b for b in bases if await uow.subscriptions.changed_since(b.start, b.end, b.composed_at)
    }
    found = []
    for row in rows:
        reveals = row.reveals
        member = members.get(row.member_id) if row.member_id is not None else None
        audience = audiences.get(reveals.notice) if reveals.notice is not None else None
        verdict = judge(
            reveals,
            member,
            current,
            in_audience=audience is None or (member is not None and member.id in audience),
            digest_changed=reveals.digest in changed,
        )
        if verdict.refresh and (row.op is not Op.SEND or row.parts_sent > 0):
            # Only a message not yet begun is made again; a correction, or the rest of a message whose
            # first parts went out, is held (the change that made it stale queued its own corrections).
            verdict = Verdict(Hold.CHANGED)
        found.append(verdict)
    return found


async def verdict_on(uow: UnitOfWork, row: Queued) -> Verdict:
    """The read rules on one queued message, as of now."""
    [verdict] = await verdicts(uow, [row])
    return verdict
