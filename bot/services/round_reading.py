"""Reading rounds after the fact: a compilation's documents again, and finding rounds by their words
(titles, background, questions, and the answers of compilations the member may read)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.domain.round_checks import words
from bot.domain.rounds import Round
from bot.domain.typed import check_typed
from bot.ports import UnitOfWorkFactory
from bot.services.actors import Actor, require_member
from bot.services.rounds import LISTED, answers_label, load_visible, may_read, may_see


async def documents(
    uow_factory: UnitOfWorkFactory, actor: Actor, round_id: int
) -> tuple[Round, Sequence[tuple[str, bytes]]]:
    """The compilation's spreadsheet and document, for a member who may read its label now."""
    async with uow_factory() as uow:
        member, rnd = await load_visible(uow, actor, round_id)
        if rnd.compiled_at is None or not may_read(member, answers_label(rnd)):
            raise NotFound()
        return rnd, await uow.rounds.files_of(rnd.id)


async def find(uow_factory: UnitOfWorkFactory, actor: Actor, text: str) -> list[Round]:
    """Rounds the member may see holding every word typed (answers only where the compilation is
    readable by them), newest first."""
    wanted = {w for w in words(check_typed(text, lines=False)) if w}
    if not wanted:
        raise InvalidInput("rounds.search_empty")
    async with uow_factory() as uow:
        member = await require_member(uow, actor)
        if actor.in_group:
            raise NotAllowed("error.private_only")
        found = [r for r in await uow.rounds.latest(LISTED) if may_see(member, r)]
        readable = [r.id for r in found if r.compiled_at is not None and may_read(member, answers_label(r))]
        answered = await uow.rounds.answer_texts(readable)
    hits = []
    for rnd in found:
        haystack = " ".join(
            [rnd.title, rnd.background, *(q.text for q in rnd.questions), answered.get(rnd.id, "")]
        )
        if wanted <= words(haystack):
            hits.append(rnd)
    return sorted(hits, key=lambda r: -r.id)
