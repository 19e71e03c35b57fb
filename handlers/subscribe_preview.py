"""The end of /subscribe: the digest as it would be now, then saving it (a change keeps a pause)."""

from __future__ import annotations

from telegram import Update

from bot.domain.errors import InvalidInput
from bot.domain.model import Viewer
from bot.domain.splitting import split_html
from bot.services import digests
from bot.services.catalog import place_names
from handlers.context import BotContext
from handlers.dates import local
from handlers.digest_render import digest_messages
from handlers.flow import END, draft, drop, keep
from handlers.jobs import schedule
from handlers.keyboards import button, keyboard
from handlers.respond import actor_of, guarded, show
from handlers.subscribe_answers import PREVIEW, ConfirmSubscription, SendEmpty, SubscribeAnswers, when_text
from handlers.texts import t


@guarded
async def got_empty(update: Update, context: BotContext) -> int:
    """Keep the choice; show the digest as it would be now, and confirm."""
    answers = draft(context, SubscribeAnswers).model_copy(update={"send_empty": SendEmpty.read(update).send})
    keep(context, answers)
    viewer = await context.viewer(update)
    member, digest = await digests.preview(
        context.deps.uow, actor_of(update), answers.scope(), context.deps.clock.now()
    )
    regions, countries = await place_names(context.deps.uow)
    rendered = digest_messages(
        Viewer(member.telegram_user_id, member, member.language), digest, regions, countries
    )
    summary = t(viewer.language, "subscribe.summary", when=when_text(viewer, *answers.timing()))
    confirm = keyboard([button(t(viewer.language, "subscribe.confirm"), ConfirmSubscription())])
    first = split_html(rendered.parts[0], 3000)[0]
    await show(
        update,
        f"{summary}\n\n{t(viewer.language, 'subscribe.preview')}\n\n{first}",
        confirm,
        protect=rendered.protect,
    )
    return PREVIEW


@guarded
async def confirm(update: Update, context: BotContext) -> int:
    """Save (or change) and schedule it."""
    ConfirmSubscription.read(update)
    answers = draft(context, SubscribeAnswers)
    frequency, weekday, at = answers.timing()
    if answers.send_empty is None:
        raise InvalidInput("error.stale")
    now = context.deps.clock.now()
    saved = await digests.subscribe(
        context.deps.uow,
        actor_of(update),
        answers.scope(),
        frequency,
        weekday,
        at,
        answers.send_empty,
        now,
        answers.subscription,
    )
    drop(context, SubscribeAnswers)
    if context.job_queue is not None:
        schedule(context.job_queue, saved, now)
    viewer = await context.viewer(update)
    said = "subscribe.saved"
    if answers.editing:  # what it was is kept, a pause too
        said = "subscribe.changed_paused" if saved.paused else "subscribe.changed"
    await show(update, t(viewer.language, said, due=local(saved.next_due_at, viewer)))
    return END
