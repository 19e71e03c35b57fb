"""/notices: the delivery engine's state for admins: queued, sent, failed, unreachable recipients."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler, filters

from bot.domain.outbox import OutboxState, OutboxStatus
from bot.services.outbox import engine_state
from handlers.context import BotContext
from handlers.render import esc, fit
from handlers.respond import actor_of, guarded, show
from handlers.texts import t


def render_state(language: str, state: OutboxState) -> str:
    """The engine at a glance, for a chat."""
    counts = {status: state.by_status.get(status.value, 0) for status in OutboxStatus}
    blocks = [
        t(
            language,
            "notices.engine",
            **{s.value: n for s, n in counts.items()},
            duplicates=state.maybe_duplicates,
        )
    ]
    if state.recent_failures:
        lines = [t(language, "notices.failures")]
        lines += [f"• {chat}: {esc(error[:120])}" for chat, error in state.recent_failures]
        blocks.append("\n".join(lines))
    if state.unreachable:
        lines = [t(language, "notices.unreachable", count=len(state.unreachable))]
        lines += [f"• {esc(name)}" for _, name in state.unreachable]
        blocks.append("\n".join(lines))
    return fit(blocks)


@guarded
async def notices_command(update: Update, context: BotContext) -> None:
    """Admins only (the service checks)."""
    state = await engine_state(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    await show(update, render_state(viewer.language, state))


def handlers() -> list[object]:
    """/notices."""
    return [CommandHandler("notices", notices_command, filters=filters.ChatType.PRIVATE)]
