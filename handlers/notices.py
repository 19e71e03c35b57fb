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
from bot.domain.reveals import Hold
from bot.services import notices
from bot.services.outbox import engine_state
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import as_int, button, keyboard, parts
from handlers.render import esc, fit, plain, shorten
from handlers.respond import actor_of, guarded, show
from handlers.texts import Html, t


def held_reasons(language: str, counts: dict[str, int]) -> str:
    """'withdrawn 2, no longer in the audience 1': why messages were held back, in the reader's language."""
    names = {hold.value: t(language, f"hold.{hold.name.lower()}") for hold in Hold}
    return ", ".join(f"{names.get(reason, reason)} {count}" for reason, count in sorted(counts.items()))


def render_state(language: str, state: OutboxState) -> str:
    """The engine at a glance, for a chat."""
    counts = {status: state.by_status.get(status.value, 0) for status in OutboxStatus}
    withheld = Html(esc(held_reasons(language, state.withheld)) or "0")
    values = {s.value: n for s, n in counts.items() if s is not OutboxStatus.WITHHELD}
    blocks = [t(language, "notices.engine", **values, withheld=withheld, duplicates=state.maybe_duplicates)]
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
        recipients=report.recipients,
        sent=report.sent,
        pending=report.queued,
        failed=report.failed,
        unreachable=report.unreachable,
        stopped=report.stopped,
        withheld=sum(report.withheld.values()),
    )
    text = esc(shorten(plain(notice.text).replace("\n", " "), 80))
    lines = [head, f"<i>{text}</i>", figures]
    if report.withheld:
        lines.append(t(lang, "notices.held_back", reasons=held_reasons(lang, report.withheld)))
    if report.unreachable_names:
        lines.append(t(lang, "notices.not_reached", names=", ".join(report.unreachable_names)))
    return "\n".join(lines)


def _buttons(viewer: Viewer, found: list[NoticeReport], now: dt.datetime) -> list[list[InlineKeyboardButton]]:
    rows = []
    for report in found:
        phase, ident = report.phase(now), report.notice.id
        row = []
        if phase in ("scheduled", "sending"):
            label = "notices.cancel" if phase == "scheduled" else "notices.stop"
            row.append(button(t(viewer.language, label, id=ident), "ntc", "halt", ident))
        if report.sent and phase in ("sending", "done", "stopped"):
            row.append(button(t(viewer.language, "notices.withdraw", id=ident), "ntc", "wd", ident))
        if row:
            rows.append(row)
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
    """Refresh, cancel or stop a notice; withdraw one (asked once, then done)."""
    data = parts(update.callback_query.data if update.callback_query else None, "ntc", 2)
    ident = as_int(data[1]) if data else None
    if data is None or ident is None or data[0] not in ("list", "halt", "wd", "wdok"):
        raise InvalidInput("error.stale")
    viewer = await context.viewer(update)
    lang = viewer.language
    if data[0] == "halt":
        await notices.halt(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    elif data[0] == "wd":
        await notices.report(context.deps.uow, actor_of(update), ident)  # admins only, and it exists
        yes = button(t(lang, "notices.withdraw_yes"), "ntc", "wdok", ident)
        no = button(t(lang, "notices.withdraw_no"), "ntc", "list", 0)
        await show(update, t(lang, "notices.withdraw_confirm", id=ident), keyboard([yes, no]))
        return
    elif data[0] == "wdok":
        done = await notices.withdraw(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
        context.deps.outbox.wake()
        lines = [t(lang, "notices.withdrawn", id=ident, removed=done.removed, cancelled=done.cancelled)]
        if done.too_old:
            lines.append(t(lang, "post.too_old", count=done.too_old))
        back = keyboard([button(t(lang, "notices.refresh"), "ntc", "list", 0)])
        await show(update, "\n".join(lines), back)
        return
    await _show(update, context)


def handlers() -> list[object]:
    """/notices and its buttons."""
    return [
        CommandHandler("notices", notices_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(notices_button, pattern="^ntc:"),
    ]
