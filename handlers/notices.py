"""/notices: the latest notices with live delivery reports (cancel, stop), and the engine's state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.model import Viewer
from bot.domain.notices import NoticeReport
from bot.domain.outbox import OutboxState, OutboxStatus, SkipCause
from bot.domain.reveals import Hold
from bot.services import notices
from bot.services.outbox import engine_state
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import button, keyboard
from handlers.render import esc, fit, plain, shorten
from handlers.respond import actor_of, guarded, show
from handlers.texts import Html, t


@dataclass(frozen=True)
class RefreshNotices(CallbackData, prefix="ntc:list"):
    """🔄 Refresh the list."""


@dataclass(frozen=True)
class HaltNotice(CallbackData, prefix="ntc:halt"):
    """✖ Cancel or ⏹ stop a notice: asks to confirm."""

    notice: int


@dataclass(frozen=True)
class HaltNoticeConfirmed(CallbackData, prefix="ntc:haltok"):
    """Yes, cancel or stop it."""

    notice: int


@dataclass(frozen=True)
class WithdrawNotice(CallbackData, prefix="ntc:wd"):
    """🗑 Withdraw a notice: asks to confirm."""

    notice: int


@dataclass(frozen=True)
class WithdrawNoticeConfirmed(CallbackData, prefix="ntc:wdok"):
    """Yes, withdraw."""

    notice: int


def held_reasons(language: str, counts: dict[str, int]) -> str:
    """'withdrawn 2, no longer in the audience 1': why messages were held back, in the reader's language."""
    names = {hold.value: t(language, f"hold.{hold.name.lower()}") for hold in Hold}
    return ", ".join(f"{names.get(reason, reason)} {count}" for reason, count in sorted(counts.items()))


def render_state(language: str, state: OutboxState) -> str:
    """The engine at a glance, for a chat."""
    counts = {status: state.by_status.get(status.value, 0) for status in OutboxStatus}
    withheld = Html(esc(held_reasons(language, state.withheld)) or "0")
    values = {s.value: n for s, n in counts.items() if s not in (OutboxStatus.WITHHELD, OutboxStatus.SKIPPED)}
    values |= {cause.value: state.skipped.get(cause, 0) for cause in SkipCause}
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
        cancelled=report.cancelled,
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
            row.append(button(t(viewer.language, label, id=ident), HaltNotice(ident)))
        if report.sent and phase in ("sending", "done", "stopped"):
            row.append(button(t(viewer.language, "notices.withdraw", id=ident), WithdrawNotice(ident)))
        if row:
            rows.append(row)
    rows.append([button(t(viewer.language, "notices.refresh"), RefreshNotices())])
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
async def refresh(update: Update, context: BotContext) -> None:
    """🔄 Refresh."""
    RefreshNotices.read(update)
    await _show(update, context)


@guarded
async def halt_ask(update: Update, context: BotContext) -> None:
    """✖ Cancel or ⏹ stop: asked once, saying which it will be (the service checks it still can be)."""
    ident = HaltNotice.read(update).notice
    phase = await notices.haltable(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    what = "cancel" if phase == "scheduled" else "stop"
    lang = (await context.viewer(update)).language
    yes = button(t(lang, f"notices.{what}_yes"), HaltNoticeConfirmed(ident))
    no = button(t(lang, "notices.halt_no"), RefreshNotices())
    await show(update, t(lang, f"notices.{what}_confirm", id=ident), keyboard([yes, no]))


@guarded
async def halt(update: Update, context: BotContext) -> None:
    """✖ Cancel a scheduled notice, or ⏹ stop a running one (the service says which), confirmed."""
    ident = HaltNoticeConfirmed.read(update).notice
    await notices.halt(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    await _show(update, context)


@guarded
async def withdraw_ask(update: Update, context: BotContext) -> None:
    """🗑 Withdraw: asked once."""
    ident = WithdrawNotice.read(update).notice
    await notices.report(context.deps.uow, actor_of(update), ident)  # admins only, and it exists
    lang = (await context.viewer(update)).language
    yes = button(t(lang, "notices.withdraw_yes"), WithdrawNoticeConfirmed(ident))
    no = button(t(lang, "notices.withdraw_no"), RefreshNotices())
    await show(update, t(lang, "notices.withdraw_confirm", id=ident), keyboard([yes, no]))


@guarded
async def withdraw_do(update: Update, context: BotContext) -> None:
    """Withdraw: what is not sent is not, delivered copies are deleted; say what was done."""
    ident = WithdrawNoticeConfirmed.read(update).notice
    done = await notices.withdraw(context.deps.uow, actor_of(update), ident, context.deps.clock.now())
    context.deps.outbox.wake()
    lang = (await context.viewer(update)).language
    lines = [t(lang, "notices.withdrawn", id=ident, removed=done.removed, cancelled=done.cancelled)]
    if done.too_old:
        lines.append(t(lang, "post.too_old", count=done.too_old))
    back = keyboard([button(t(lang, "notices.refresh"), RefreshNotices())])
    await show(update, "\n".join(lines), back)


def handlers() -> list[object]:
    """/notices and its buttons."""
    return [
        CommandHandler("notices", notices_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(refresh, pattern=RefreshNotices.pattern),
        CallbackQueryHandler(halt_ask, pattern=HaltNotice.pattern),
        CallbackQueryHandler(halt, pattern=HaltNoticeConfirmed.pattern),
        CallbackQueryHandler(withdraw_ask, pattern=WithdrawNotice.pattern),
        CallbackQueryHandler(withdraw_do, pattern=WithdrawNoticeConfirmed.pattern),
    ]
