"""/subscriptions (each digest with preview, pause or resume, edit, delete), /unsubscribe and /digest."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.digests import Scope, Subscription
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.model import Viewer
from bot.domain.places import country_name, region_name
from bot.services import digests
from bot.services.catalog import place_names
from handlers.budget import expensive, within_budget
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.digest_render import digest_messages
from handlers.jobs import schedule, unschedule
from handlers.keyboards import button, keyboard
from handlers.render import esc
from handlers.respond import actor_of, guarded, reply, show, show_long
from handlers.subscribe_answers import EditSubscription, when_text
from handlers.texts import Html, t


@dataclass(frozen=True)
class PreviewSubscription(CallbackData, prefix="sb:prev"):
    """The digest one of the member's subscriptions would bring now."""

    subscription: int


@dataclass(frozen=True)
class PauseSubscription(CallbackData, prefix="sb:pause"):
    """⏸ Pause a digest."""

    subscription: int


@dataclass(frozen=True)
class ResumeSubscription(CallbackData, prefix="sb:resume"):
    """▶ Resume a paused digest."""

    subscription: int


@dataclass(frozen=True)
class DeleteSubscription(CallbackData, prefix="sb:del"):
    """🗑 Delete a digest: asks to confirm."""

    subscription: int


@dataclass(frozen=True)
class DeleteConfirmed(CallbackData, prefix="sb:delok"):
    """Yes, delete that digest."""

    subscription: int


@dataclass(frozen=True)
class StopAll(CallbackData, prefix="sb:unsuball"):
    """Yes, stop them all."""


@dataclass(frozen=True)
class KeepAll(CallbackData, prefix="sb:keep"):
    """No, keep them."""


async def _list(update: Update, context: BotContext) -> None:
    found, names = await digests.named_subscriptions(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    lang = viewer.language
    if not found:
        await show(update, t(lang, "subscriptions.none"))
        return
    lines = [t(lang, "subscriptions.header", count=len(found))]
    rows: list[list[InlineKeyboardButton]] = []
    for n, sub in enumerate(found, start=1):
        lines.append(f"{n}. {_describe(viewer, sub, names)}")
        pause = (
            button(t(lang, "subscriptions.resume"), ResumeSubscription(sub.id))
            if sub.paused
            else button(t(lang, "subscriptions.pause"), PauseSubscription(sub.id))
        )
        rows.append([button(f"{n}: " + t(lang, "subscriptions.preview"), PreviewSubscription(sub.id)), pause])
        rows.append(
            [
                button(t(lang, "subscriptions.edit"), EditSubscription(sub.id)),
                button(t(lang, "subscriptions.delete"), DeleteSubscription(sub.id)),
            ]
        )
    await show_long(update, "\n".join(lines), keyboard(*rows))


def _describe(viewer: Viewer, sub: Subscription, names: digests.ScopeNames) -> str:
    lang = viewer.language
    scope = sub.scope
    what = (
        t(lang, "subscribe.everything")
        if scope.everything
        else ", ".join(
            [
                *(region_name(names.regions[k], lang) if k in names.regions else k for k in scope.regions),
                *(
                    country_name(names.countries[c], lang) if c in names.countries else c
                    for c in scope.countries
                ),
                *(t(lang, f"type.{k.value}") for k in scope.types),
                *(names.refs.get(i, f"#{i}") for i in scope.initiatives),
            ]
        )
    )
    state = (
        t(lang, "subscriptions.paused")
        if sub.paused
        else t(lang, "subscriptions.next", due=local(sub.next_due_at, viewer))
    )
    return f"{esc(what)} · {when_text(viewer, sub.frequency, sub.weekday, sub.at)} · {state}"


@guarded
async def subscriptions_command(update: Update, context: BotContext) -> None:
    """Each subscription with its buttons."""
    await _list(update, context)


@guarded
async def preview_button(update: Update, context: BotContext) -> None:
    """The digest one subscription would bring now: it composes a whole digest, an expensive request."""
    PreviewSubscription.read(update)
    if await within_budget(update, context):
        await context.deps.lane.run(update, context, _preview_one)


@guarded
async def pause_button(update: Update, context: BotContext) -> None:
    """⏸ Pause: its job goes (the service checks it is the member's)."""
    await _set_paused(update, context, PauseSubscription.read(update).subscription, True)


@guarded
async def resume_button(update: Update, context: BotContext) -> None:
    """▶ Resume: due again from now."""
    await _set_paused(update, context, ResumeSubscription.read(update).subscription, False)


async def _set_paused(update: Update, context: BotContext, ident: int, paused: bool) -> None:
    now = context.deps.clock.now()
    changed = await digests.set_paused(context.deps.uow, actor_of(update), ident, paused, now)
    if context.job_queue is not None:
        schedule(context.job_queue, changed, now)
    await _list(update, context)


@guarded
async def delete_button(update: Update, context: BotContext) -> None:
    """🗑 Delete: which digest, asked once."""
    ident = DeleteSubscription.read(update).subscription
    found, names = await digests.named_subscriptions(context.deps.uow, actor_of(update))
    own = next((s for s in found if s.id == ident), None)
    if own is None:
        raise NotFound()
    viewer = await context.viewer(update)
    lang = viewer.language
    answers = [
        button(t(lang, "subscriptions.delete_yes"), DeleteConfirmed(ident)),
        button(t(lang, "unsubscribe.no"), KeepAll()),
    ]
    await show(
        update,
        t(lang, "subscriptions.delete_confirm", digest=Html(_describe(viewer, own, names))),
        keyboard(answers),
    )


@guarded
async def delete_confirmed(update: Update, context: BotContext) -> None:
    """Yes: delete the subscription and its job."""
    ident = DeleteConfirmed.read(update).subscription
    await digests.unsubscribe(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    if context.job_queue is not None:
        unschedule(context.job_queue, ident)
    await _list(update, context)


@guarded
async def _preview_one(update: Update, context: BotContext) -> None:
    """The digest one of the member's subscriptions would bring now."""
    ident = PreviewSubscription.read(update).subscription
    own = {s.id: s for s in await digests.my_subscriptions(context.deps.uow, actor_of(update))}
    if ident not in own:
        raise InvalidInput("error.stale")
    await _send_preview(update, context, own[ident].scope)


async def _send_preview(update: Update, context: BotContext, scope: Scope | None) -> None:
    member, digest = await digests.preview(
        context.deps.uow, actor_of(update), scope, context.deps.clock.now()
    )
    regions, countries = await place_names(context.deps.uow)
    if update.callback_query is not None:
        await update.callback_query.answer()
    rendered = digest_messages(
        Viewer(member.telegram_user_id, member, member.language), digest, regions, countries
    )
    for text in rendered.parts:
        await reply(update, text, protect=rendered.protect)


@expensive
@guarded
async def digest_command(update: Update, context: BotContext) -> None:
    """The digest this member would get now, for the last 7 days."""
    await _send_preview(update, context, None)


@guarded
async def unsubscribe_command(update: Update, context: BotContext) -> None:
    """Ask before removing them all."""
    found = await digests.my_subscriptions(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    if not found:
        await show(update, t(viewer.language, "subscriptions.none"))
        return
    await show(
        update,
        t(viewer.language, "unsubscribe.confirm", count=len(found)),
        keyboard(
            [
                button(t(viewer.language, "unsubscribe.yes"), StopAll()),
                button(t(viewer.language, "unsubscribe.no"), KeepAll()),
            ]
        ),
    )


@guarded
async def keep_all(update: Update, context: BotContext) -> None:
    """No, keep them."""
    KeepAll.read(update)
    viewer = await context.viewer(update)
    await show(update, t(viewer.language, "unsubscribe.kept"))


@guarded
async def stop_all(update: Update, context: BotContext) -> None:
    """Remove them all, and their jobs."""
    StopAll.read(update)
    viewer = await context.viewer(update)
    own = await digests.my_subscriptions(context.deps.uow, actor_of(update))
    count = await digests.unsubscribe(context.deps.uow, actor_of(update), None, context.deps.clock.now())
    if context.job_queue is not None:
        for sub in own:
            unschedule(context.job_queue, sub.id)
    await show(update, t(viewer.language, "unsubscribe.done", count=count))


def handlers() -> list[object]:
    """The commands and the buttons of the listing."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("subscriptions", subscriptions_command, filters=private),
        CommandHandler("unsubscribe", unsubscribe_command, filters=private),
        CommandHandler("digest", digest_command, filters=private),
        CallbackQueryHandler(preview_button, pattern=PreviewSubscription.pattern),
        CallbackQueryHandler(pause_button, pattern=PauseSubscription.pattern),
        CallbackQueryHandler(resume_button, pattern=ResumeSubscription.pattern),
        CallbackQueryHandler(delete_button, pattern=DeleteSubscription.pattern),
        CallbackQueryHandler(delete_confirmed, pattern=DeleteConfirmed.pattern),
        CallbackQueryHandler(stop_all, pattern=StopAll.pattern),
        CallbackQueryHandler(keep_all, pattern=KeepAll.pattern),
    ]
