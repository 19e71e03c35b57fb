"""The detail view of one initiative: facts, sources, and the updates the viewer may read."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Update

from bot.domain.model import Viewer
from bot.domain.vocab import Role
from bot.services import browse
from handlers.context import BotContext
from handlers.keyboards import button, keyboard
from handlers.render import esc, fit, link, shorten, update_block
from handlers.respond import show
from handlers.texts import t


async def detail_view(update: Update, context: BotContext, key: str, offset: int) -> None:
    """Show (or edit into) the details of the initiative `key` with updates from `offset`."""
    viewer = await context.viewer(update)
    detail = await browse.initiative_detail(context.deps.uow, viewer, key, offset)
    await show(update, render_detail(viewer, detail), keyboard(*_buttons(viewer, detail)))


def render_detail(viewer: Viewer, detail: browse.Detail) -> str:
    """The facts first, then the updates, each with its TLP label before the text."""
    lang = viewer.language
    ini = detail.initiative
    facts = [
        f"<b>{esc(ini.title)}</b>",
        " · ".join(
            [
                f"<code>{esc(ini.ref)}</code>",
                t(lang, f"type.{ini.type.value}"),
                t(lang, f"status.{ini.status.value}"),
            ]
        ),
    ]
    rows = [
        ("initiative.countries", ", ".join(detail.countries.get(c, c) for c in ini.countries)),
        ("initiative.regions", ", ".join(detail.regions.values())),
        ("initiative.lead", ini.lead or ""),
        ("initiative.partners", ", ".join(detail.partners.values())),
        ("initiative.instruments", ", ".join(detail.instruments.values())),
        ("initiative.funding", ini.funding or ""),
        ("initiative.dates", _dates(ini.start_date, ini.end_date, ini.year)),
        ("initiative.notes", shorten(ini.notes or "", 600)),
    ]
    facts += [f"{t(lang, label)}: {esc(value)}" for label, value in rows if value]
    if ini.source_url:
        facts.append(f"{t(lang, 'initiative.source')}: {link(ini.source_url)}")
    blocks = ["\n".join(facts)]
    if detail.total_updates == 0:
        blocks.append(t(lang, "initiative.no_updates"))
    else:
        blocks.append(
            t(
                lang,
                "initiative.updates_header",
                first=detail.offset + 1,
                last=detail.offset + len(detail.updates),
                total=detail.total_updates,
            )
        )
        blocks += [update_block(viewer, u) for u in detail.updates]
    return fit(blocks)


def _dates(start: object, end: object, year: int | None) -> str:
    if start and end:
        return f"{start} – {end}"
    if start:
        return f"{start} –"
    return str(year or "")


def _buttons(viewer: Viewer, detail: browse.Detail) -> list[list[InlineKeyboardButton]]:
    lang = viewer.language
    ini = detail.initiative
    rows: list[list[InlineKeyboardButton]] = []
    nav = []
    if detail.offset > 0:
        nav.append(
            button(t(lang, "initiative.newer"), "inu", ini.id, max(0, detail.offset - browse.DETAIL_UPDATES))
        )
    if detail.offset + len(detail.updates) < detail.total_updates:
        nav.append(button(t(lang, "initiative.older"), "inu", ini.id, detail.offset + browse.DETAIL_UPDATES))
    rows.append(nav)
    if viewer.role is Role.ADMIN:
        rows.append([button(t(lang, "initiative.edit"), "ied", ini.id, "menu")])
    return rows
