"""/audit: admins read the latest audit-log entries, newest first, with paging buttons."""

from __future__ import annotations

import json
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.domain.model import AuditEntry, Member, Viewer
from bot.services.audit import PAGE, audit_page
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.dates import local
from handlers.keyboards import button, keyboard
from handlers.respond import actor_of, guarded, show
from handlers.texts import t


@dataclass(frozen=True)
class AuditPage(CallbackData, prefix="aud"):
    """Newer or older entries: the offset of the page."""

    offset: int


@guarded
async def audit_command(update: Update, context: BotContext) -> None:
    """The newest entries."""
    await _page(update, context, 0)


@guarded
async def audit_more(update: Update, context: BotContext) -> None:
    """Older or newer entries."""
    await _page(update, context, AuditPage.read(update).offset)


async def _page(update: Update, context: BotContext, offset: int) -> None:
    page = await audit_page(context.deps.uow, actor_of(update), offset)
    viewer = await context.viewer(update)
    lang = viewer.language
    if not page.entries:
        await show(update, t(lang, "audit.empty"))
        return
    lines = [t(lang, "audit.header", first=offset + 1, last=offset + len(page.entries))]
    lines += [_line(viewer, e, page.actors.get(e.actor_id) if e.actor_id else None) for e in page.entries]
    nav = [button(t(lang, "audit.newer"), AuditPage(max(0, offset - PAGE)))] if offset else []
    nav += [button(t(lang, "audit.older"), AuditPage(offset + PAGE))] if page.has_more else []
    await show(update, "\n".join(lines), keyboard(nav))


def _line(viewer: Viewer, entry: AuditEntry, actor: Member | None) -> str:
    who = f"{actor.display_name} ({actor.delegation.code})" if actor else t(viewer.language, "audit.system")
    details = json.dumps(entry.details, ensure_ascii=False, sort_keys=True)[:200] if entry.details else ""
    return t(
        viewer.language,
        "audit.line",
        when=local(entry.at, viewer),
        who=who,
        action=entry.action,
        subject=entry.subject,
        details=details,
    )


def handlers() -> list[object]:
    """/audit and its paging buttons."""
    return [
        CommandHandler("audit", audit_command, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(audit_more, pattern=AuditPage.pattern),
    ]
