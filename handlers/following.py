"""Follow buttons (🔔 on an initiative, a country, a region) and /following with its ✖ buttons."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.posting import FollowKind
from bot.services import posting
from handlers.buttons import Follow
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.keyboards import button, grid, keyboard
from handlers.render import esc, shorten
from handlers.respond import actor_of, guarded, show, show_long
from handlers.texts import t


@dataclass(frozen=True)
class Unfollow(CallbackData, prefix="unf"):
    """✖ in /following."""

    kind: FollowKind
    target: str


@guarded
async def follow_button(update: Update, context: BotContext) -> None:
    """🔔 / 🔕 on an initiative, a country or a region."""
    pressed = Follow.read(update)
    now = context.deps.clock.now()
    on = pressed.action == "on"
    await posting.set_follow(context.deps.uow, actor_of(update), pressed.kind, pressed.target, on, now)
    viewer = await context.viewer(update)
    if update.callback_query is not None:
        await update.callback_query.answer(t(viewer.language, f"follow.{pressed.action}"), show_alert=False)


@guarded
async def following_command(update: Update, context: BotContext) -> None:
    """What the member follows, each with a remove button."""
    await _following(update, context)


@guarded
async def unfollow_button(update: Update, context: BotContext) -> None:
    """Remove from /following, then show the list again."""
    pressed = Unfollow.read(update)
    now = context.deps.clock.now()
    await posting.set_follow(context.deps.uow, actor_of(update), pressed.kind, pressed.target, False, now)
    await _following(update, context)


async def _following(update: Update, context: BotContext) -> None:
    found = await posting.following(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    if not found:
        await show(update, t(viewer.language, "follow.none"))
        return
    lines = [t(viewer.language, "follow.header", count=len(found))]
    lines += [
        f"• {t(viewer.language, f'follow.kind_{f.kind.value}')}: {esc(shorten(f.label, 80))}" for f in found
    ]
    removes = [button(f"✖ {shorten(f.label, 28)}", Unfollow(f.kind, f.target)) for f in found[:30]]
    await show_long(update, "\n".join(lines), keyboard(*grid(removes, 1)))


def handlers() -> list[object]:
    """Follow buttons and /following."""
    return [
        CallbackQueryHandler(follow_button, pattern=Follow.pattern),
        CallbackQueryHandler(unfollow_button, pattern=Unfollow.pattern),
        CommandHandler("following", following_command, filters=filters.ChatType.PRIVATE),
    ]
