"""The detail view of one initiative: facts, sources, and the updates the viewer may read."""

from __future__ import annotations

from typing import Literal

from telegram import InlineKeyboardButton, Update

from bot.domain.access import may_post
from bot.domain.ids import shared_payload
from bot.domain.model import Viewer
from bot.domain.posting import FollowKind, protected
from bot.domain.vocab import Role
from bot.services import browse
from handlers.buttons import EditInitiative, Follow, OpenUpdateOf, PostOn, UpdatesPage
from handlers.callback_data import CallbackData
from handlers.context import BotContext
from handlers.keyboards import button, keyboard
from handlers.render import esc, fit, fit_count, link, shorten, update_block
from handlers.respond import show
from handlers.texts import t


async def detail_view(
    update: Update, context: BotContext, key: str, offset: int, back: CallbackData | None = None
) -> None:
    """Show (or edit into) the details of the initiative `key` with updates from `offset`; `back` is the
    list page it was opened from (its ◀ Back)."""
    viewer = await context.viewer(update)
    detail = await browse.initiative_detail(context.deps.uow, viewer, key, offset)
    text, shown = render_detail(viewer, detail)
    protect = any(protected(u.tlp) for u in detail.updates[:shown])
    rows = _buttons(viewer, detail, shown)
    if context.bot.username:  # a link that opens it for any member
        share = f"https://t.me/{context.bot.username}?start={shared_payload(detail.initiative.ref)}"
        rows.append([InlineKeyboardButton(t(viewer.language, "initiative.share"), url=share)])
    if back is not None:
        rows.append([button(t(viewer.language, "nav.back"), back)])
    await show(update, text, keyboard(*rows), protect=protect)


def render_detail(viewer: Viewer, detail: browse.Detail) -> tuple[str, int]:
    """The facts first, then the updates (TLP label before the text); also how many updates fit."""
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
    colon = t(lang, "punct.colon")  # French puts a narrow no-break space before it
    facts += [f"{t(lang, label)}{colon}{esc(value)}" for label, value in rows if value]
    if ini.source_url:
        facts.append(f"{t(lang, 'initiative.source')}{colon}{link(ini.source_url)}")
    head = "\n".join(facts)
    if detail.total_updates == 0:
        return fit([head, t(lang, "initiative.no_updates")]), 0
    # Numbered as their ✉ buttons are.
    updates = [f"<b>✉ {n + 1}</b> · {update_block(viewer, u)}" for n, u in enumerate(detail.updates)]
    shown = len(updates)
    for _ in range(2):  # the header names the last update shown, which depends on what fits
        header = t(
            lang,
            "initiative.updates_header",
            first=detail.offset + 1,
            last=detail.offset + max(shown, 1),
            total=detail.total_updates,
        )
        text, kept = fit_count([head, header, *updates[:shown]])
        shown = max(1, kept - 2) if kept - 2 < shown else shown
    if kept - 2 < shown:  # not even one update fits beside long facts: show the newest, shorter
        text, _ = fit_count([head, header, update_block(viewer, detail.updates[0], limit=120)])
    return text, shown


def _dates(start: object, end: object, year: int | None) -> str:
    if start and end:
        return f"{start} – {end}"
    if start:
        return f"{start} –"
    return str(year or "")


def _buttons(viewer: Viewer, detail: browse.Detail, shown: int) -> list[list[InlineKeyboardButton]]:
    lang = viewer.language
    ini = detail.initiative
    rows: list[list[InlineKeyboardButton]] = []
    nav = []
    if detail.offset > 0:
        newer = UpdatesPage(ini.id, max(0, detail.offset - browse.DETAIL_UPDATES))
        nav.append(button(t(lang, "initiative.newer"), newer))
    if detail.offset + shown < detail.total_updates:
        nav.append(button(t(lang, "initiative.older"), UpdatesPage(ini.id, detail.offset + shown)))
    rows.append(nav)
    letters = [button(f"✉ {n + 1}", OpenUpdateOf(u.id, ini.id)) for n, u in enumerate(detail.updates[:shown])]
    rows.append(letters)
    actions = [button(t(lang, "initiative.post"), PostOn(ini.id))] if may_post(viewer.role) else []
    action: Literal["on", "off"] = "off" if detail.following else "on"
    label = "initiative.unfollow" if detail.following else "initiative.follow"
    actions.append(button(t(lang, label), Follow(action, FollowKind.INITIATIVE, str(ini.id))))
    rows.append(actions)
    if viewer.role is Role.ADMIN:
        rows.append([button(t(lang, "initiative.edit"), EditInitiative(ini.id))])
    return rows
