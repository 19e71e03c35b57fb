"""/notices: the latest notices with live delivery reports (cancel, stop), and the engine's state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.errors import InvalidInput
from bot.domain.model import Viewer
from bot.domain.notices import NoticeReport
from bot.domain.outbox import OutboxState, OutboxStatus
from bot.services import notices
from bot.services.outbox import engine_state
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import as_int, button, keyboard, parts
from handlers.render import esc, fit, plain, shorten
from handlers.respond import actor_of, guarded, show
from handlers.texts import Html, t


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


def audience_text(language: str, kind: str, values: Sequence[str]) -> str:
    """'Everyone', or 'Delegations: FR, DE' (French puts a space before the colon)."""
    name = t(language, f"broadcast.aud_{kind}")
    return Html(
        t(language, "notices.audience", name=Html(name), values=", ".join(values)) if values else name
    )


def render_report(viewer: Viewer, report: NoticeReport, now: dt.datetime) -> str:
    """One notice: what, to whom, when, and how its delivery stands."""
    lang = viewer.language
    notice = report.notice
    phase = report.phase(now)
    head = t(
        lang,
        "notices.line",
        id=notice.id,
        phase=t(lang, f"notices.phase_{phase}"),
        when=local(notice.send_at, viewer),
        audience=audience_text(lang, notice.audience.kind.value, notice.audience.values),
    )
    figures = t(
        lang,
        "notices.figures",
        recipients=notice.recipients,
        sent=report.sent,
        pending=report.queued,
        failed=report.failed,
        skipped=report.skipped,
    )
    text = esc(shorten(plain(notice.text).replace("\n", " "), 80))
    lines = [head, f"<i>{text}</i>", figures]
    if report.unreachable:
        lines.append(t(lang, "notices.not_reached", names=", ".join(report.unreachable)))
    return "\n".join(lines)


def _buttons(viewer: Viewer, found: list[NoticeReport], now: dt.datetime) -> list[list[InlineKeyboardButton]]:
    rows = []
    for report in found:
        phase = report.phase(now)
        if phase in ("scheduled", "sending"):
            label = "notices.cancel" if phase == "scheduled" else "notices.stop"
            rows.append(
                [button(t(viewer.language, label, id=report.notice.id), "ntc", "halt", report.notice.id)]
            )
    rows.append([button(t(viewer.language, "notices.refresh"), "ntc", "list", 0)])
    return rows


async def _show(update: Update, context: BotContext) -> None:
    found = list(await notices.reports(context.deps.uow, actor_of(update)))
    state = await engine_state(context.deps.uow, actor_of(update))
    viewer = await context.viewer(update)
    now = context.deps.clock.now()
    blocks = [t(viewer.language, "notices.header")]
    blocks += [render_report(viewer, r, now) for r in found] or [t(viewer.language, "notices.none")]
    blocks.append(render_state(viewer.language, state))
    await show(update, fit(blocks), keyboard(*_buttons(viewer, found, now)))


@guarded
async def notices_command(update: Update, context: BotContext) -> None:
    """Admins only (the services check)."""
    await _show(update, context)


@guarded
async def notices_button(update: Update, context: BotContext) -> None:
    """Refresh, or cancel/stop a notice."""
    data = parts(update.callback_query.data if update.callback_query else None, "ntc", 2)
    ident = as_int(data[1]) if data else None
    if data is None or ident is None or data[0] not in ("list", "halt"):
        raise InvalidInput("error.stale")
    if data[0] == "halt":
        await notices.halt(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    await _show(update, context)


def handlers() -> list[object]:
    """/notices and its buttons."""
    return [
        CommandHandler("notices", notices_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(notices_button, pattern="^ntc:"),
    ]
